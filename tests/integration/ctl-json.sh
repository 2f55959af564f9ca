#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-json.sh - every balloonctl --json invocation prints exactly one JSON
# document on stdout, whatever happens: replies, balloond's refusals, an
# unreachable daemon and usage errors (unknown option or command, missing
# or extra arguments, an option of another command, a bad size or domain),
# with --json anywhere on the line or in a cluster (-jw).  A failure is
# {"version","ok","error"}, as balloond words its own; stderr keeps its one
# line for people.  Issue 22.
. "$(dirname "$0")/lib.inc"
JC="$B/tests/integration/json-check"

start_daemon basic
wait_reports

# jexpect RC KEYS CMD...: exit code RC, stdout one JSON document whose
# top-level keys are KEYS ("" = any object or value).
jexpect() {
    want=$1 keys=$2
    shift 2
    expect "$want" "$@"
    keys_got=$(printf '%s' "$out" | "$JC" 2> "$T/jc.err") ||
        fail "'$*': stdout is not one JSON document ($(cat "$T/jc.err")): $out"
    [ -z "$keys" ] || [ "$keys_got" = "$keys" ] ||
        fail "'$*': top-level keys '$keys_got', expected '$keys': $out"
}
E=version,ok,error

# replies
jexpect 0 "" ctl status --json
jexpect 0 "" ctl show --json
jexpect 0 "" ctl --json show vm-a
jexpect 0 "" ctl list -j vm-a
jexpect 0 "" ctl explain vm-a --json
jexpect 0 "" ctl capacity --json
jexpect 0 "" ctl reload --json
jexpect 0 "" ctl limits vm-a --weight 150 --json
jexpect 0 "" ctl set vm-b 2G --json
jexpect 0 "" ctl auto vm-b --json
jexpect 0 "" ctl reserve 64M --json
id=$(printf '%s' "$out" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "no reservation id in: $out"
jexpect 0 "" ctl release "$id" --json

# balloond refuses
jexpect 1 $E ctl show --json nosuch
jexpect 1 $E ctl explain --json nosuch
jexpect 1 $E ctl release 999999 --json
jexpect 1 $E ctl set vm-b 1P --json
jexpect 1 $E ctl reserve 1P --timeout 1s --json

# usage errors: exit 2, still one JSON document
jexpect 2 $E ctl --json --no-such-option status
jexpect 2 $E ctl status --no-such-option --json
jexpect 2 $E ctl -jx status
jexpect 2 $E ctl --json
jexpect 2 $E ctl --json nosuchcommand
jexpect 2 $E ctl --json show --timeout
jexpect 2 $E ctl explain --json
jexpect 2 $E ctl explain a b --json
jexpect 2 $E ctl status --force --json
jexpect 2 $E ctl metrics --json
jexpect 2 $E ctl top --json
jexpect 2 $E ctl set vm-b lots --json
jexpect 2 $E ctl set "$(printf 'a\tb')" 1G --json
jexpect 2 $E ctl limits vm-a --min 1Q --json
one_line "$err"
has "$err" "^balloonctl: limits: "

# an unreachable daemon
expect 3 "$BALLOONCTL" --socket "$T/none" status --json
printf '%s' "$out" | "$JC" > "$T/keys" || fail "unreachable: not one JSON document: $out"
[ "$(cat "$T/keys")" = $E ] || fail "unreachable: keys $(cat "$T/keys")"

# without --json, stdout stays empty on a usage error
expect 2 ctl --no-such-option status
[ -z "$out" ] || fail "a usage error without --json printed on stdout: $out"
echo "ctl-json: ok"
