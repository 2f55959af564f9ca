#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-protocol.sh - hostile and broken clients against the real balloond:
# every malformed request gets a one-line error reply, an oversized one
# gets its error and the connection closed, a stuck client blocks nobody,
# and balloond keeps serving throughout.
. "$(dirname "$0")/lib.inc"

start_daemon basic

# raw REQUEST: send printf-escaped bytes (\\n, \\0 ...) as they are.
raw() {
    # shellcheck disable=SC2059  # the escapes are the point
    printf "$1" | "$RAW" "$SOCK" > "$T/out" 2> "$T/err" || fail "ctl-raw failed: $1"
    out=$(cat "$T/out")
}

# reply RESPONSE PATTERN: exactly one error line naming the problem.
bad() {
    raw "$1"
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "one reply expected for $1: $out"
    has "$out" '^{"version":1,"ok":false,"error":"'
    has "$out" "$2"
}

bad 'hello\n' 'not valid JSON'
bad '[1,2]\n' 'not a JSON object'
bad '{"cmd":"status"}\n' "missing field 'version'"
bad '{"version":2,"cmd":"status"}\n' 'protocol version'
bad '{"version":1}\n' "missing field 'cmd'"
bad '{"version":1,"cmd":"shutdown"}\n' "unknown command 'shutdown'"
bad '{"version":1,"cmd":"status","x":1}\n' "unknown field 'x'"
bad '{"version":1,"cmd":"set","domain":"vm-a","target_kib":"1G"}\n' "'target_kib' must be an integer"
bad '{"version":1,"cmd":"set","domain":"vm-a","target_kib":-1}\n' 'must not be negative'
bad '{"version":1,"cmd":"set","domain":"vm-a","target_kib":99999999999999999999999}\n' 'out of range'
bad '{"version":1,"cmd":"set","domain":"vm-a","target_kib":1.5}\n' 'whole number'
bad '{"version":1,"cmd":"auto","domain":"a\\u0000b"}\n' 'control characters'
bad '{"version":1,"cmd":"status"}\0junk\n' 'NUL byte'
bad '{"version":1,"cmd":"show","domains":[[[[["a"]]]]]}\n' 'nested too deeply'

# A good request without its newline, then EOF: still answered.
raw '{"version":1,"cmd":"status"}'
has "$out" '"ok":true'

# Several requests on one connection, answered in order.
raw '{"version":1,"cmd":"status"}\nbogus\n{"version":1,"cmd":"show","domains":[1]}\n'
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "3 replies expected: $out"
printf '%s\n' "$out" | sed -n 1p | grep -q '"ok":true,"daemon_version"' || fail "reply 1: $out"
printf '%s\n' "$out" | sed -n 2p | grep -q 'not valid JSON' || fail "reply 2: $out"
printf '%s\n' "$out" | sed -n 3p | grep -q '"name":"vm-a"' || fail "reply 3: $out"

# Oversized: 5000 bytes without a newline get one error, then EOF.
head -c 5000 /dev/zero | tr '\0' ' ' > "$T/big"
"$RAW" "$SOCK" < "$T/big" > "$T/out" 2> "$T/err" || fail "ctl-raw big"
out=$(cat "$T/out")
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "one reply to oversized: $out"
has "$out" 'longer than 4096 bytes'
# ... also when the newline comes after the limit, with a valid request.
{ printf '{"version":1,"cmd":"status"'; head -c 4100 /dev/zero | tr '\0' ' '; printf '}\n{"version":1,"cmd":"status"}\n'; } > "$T/big"
"$RAW" "$SOCK" < "$T/big" > "$T/out" 2> "$T/err" || fail "ctl-raw big 2"
out=$(cat "$T/out")
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "nothing after the oversized line: $out"
has "$out" 'longer than 4096 bytes'

# A client stuck mid-line for 3 s blocks nobody: balloonctl answers at once.
printf '{"version":1,"cmd":' | "$RAW" "$SOCK" 3000 > "$T/stuck" 2>&1 &
stuck=$!
sleep 0.3
start=$(date +%s)
for i in 1 2 3 4 5; do
    expect 0 ctl status
done
[ $(( $(date +%s) - start )) -le 2 ] || fail "status was slowed by a stuck client"
wait $stuck
grep -q 'not valid JSON' "$T/stuck" || fail "stuck client: $(cat "$T/stuck")"

# 70 clients holding connections open: the ones above the limit (64) are
# told so at once, balloond survives and serves again afterwards.
i=0
pids=""
while [ $i -lt 70 ]; do
    printf '{"version":1,' | "$RAW" "$SOCK" 6000 > /dev/null 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
done
# (starting 70 processes takes a while on a slow or sanitized build)
i=0
while [ $i -lt 50 ]; do
    ctl status > "$T/out" 2> "$T/err"
    rc=$?
    grep -q "too many connections" "$T/err" && break
    i=$((i + 1))
    sleep 0.1
done
[ "$rc" -eq 1 ] || fail "status with 70 connections open exited $rc"
err=$(cat "$T/err")
has "$err" "too many connections"
one_line "$err"
for p in $pids; do wait "$p"; done
expect 0 ctl show
has "$out" "^vm-a "

# One warning per bad client in the log, never the request flood.
n=$(grep -c 'control: client pid' "$T/log")
[ "$n" -le 11 ] || fail "too many control log lines (rate limit): $n"
[ "$n" -ge 10 ] || fail "bad requests were not logged: $n"
alive
echo "$NAME: ok"
