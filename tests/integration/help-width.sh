#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# help-width.sh - every --help and `balloonctl help COMMAND` fits 80
# columns, as a terminal shows it (issue 22).
. "$(dirname "$0")/lib.inc"

wide() { # LABEL: stdin's lines over 80 columns
    awk -v l="$1" 'length > 80 { print l ": " length ": " $0 }'
}
out=$({
    "$BALLOONCTL" --help | wide "balloonctl --help"
    for c in $("$BALLOONCTL" complete commands); do
        "$BALLOONCTL" help "$c" | wide "balloonctl help $c"
    done
    "$B/daemon/balloond" --help | wide "balloond --help"
    "$B/agent/balloon-agent" --help | wide "balloon-agent --help"
} 2>&1)
[ -z "$out" ] || fail "wider than 80 columns: $out"
n=$("$BALLOONCTL" complete commands | wc -w)
[ "$n" -ge 10 ] || fail "only $n commands to check"
echo "help-width: ok ($n commands)"
