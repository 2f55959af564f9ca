#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-completion.sh - the bash completion offers subcommands, options and
# the names of the running domains (from the real balloond).
. "$(dirname "$0")/lib.inc"

command -v bash > /dev/null || { echo "$NAME: skipped (no bash)"; exit 0; }
start_daemon basic
COMP="$(pwd)/cli/balloonctl.bash"

# complete WORDS...: the completions bash offers for the last word.
complete_words() {
    PATH="$B/cli:$PATH" bash -c '
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _balloonctl
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
        sh "$COMP" "$@"
}

got=$(complete_words balloonctl "")
[ "$got" = "auto capacity create explain help limits metrics release reload reserve set show status top " ] \
    || fail "subcommands: '$got'"
got=$(complete_words balloonctl re)
[ "$got" = "release reload reserve " ] || fail "re: '$got'"
got=$(complete_words balloonctl --socket "$SOCK" show "")
[ "$got" = "Domain-0 vm-a vm-b vm-c " ] || fail "show: '$got'"
got=$(complete_words balloonctl --socket "$SOCK" set vm-)
[ "$got" = "vm-a vm-b vm-c " ] || fail "set vm-: '$got'"
got=$(complete_words balloonctl --socket "$SOCK" set vm-a "")
[ -z "$got" ] || fail "set DOMAIN <size>: '$got'"
got=$(complete_words balloonctl limits vm-a --m)
[ "$got" = "--max --min --mode " ] || fail "limits --m: '$got'"
got=$(complete_words balloonctl --socket "$SOCK" explain vm-)
[ "$got" = "vm-a vm-b vm-c " ] || fail "explain vm-: '$got'"
got=$(complete_words balloonctl create --f)
[ "$got" = "--force " ] || fail "create --f: '$got'"
mkdir -p "$T/xen" && : > "$T/xen/db.cfg"
got=$(complete_words balloonctl create "$T/xen/d")
[ "$got" = "$T/xen/db.cfg " ] || fail "create CFG: '$got'"
got=$(complete_words balloonctl set vm-a --f)
[ "$got" = "--force " ] || fail "set --f: '$got'"
got=$(complete_words balloonctl limits vm-a --mode "")
[ "$got" = "auto fixed ignore " ] || fail "--mode: '$got'"
# No daemon: no names, no error output.
got=$(complete_words balloonctl --socket "$T/none" auto "" 2>&1)
[ -z "$got" ] || fail "no daemon: '$got'"
echo "$NAME: ok"
