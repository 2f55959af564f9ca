#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# one-daemon.sh - one balloond per host (issue 24): a second daemon with
# the same state file and another control socket exits 78 at once with one
# line naming the first one's pid and socket, and touches nothing: the
# first keeps its pins, in memory and in the state file, and still
# answers.  Once the first is gone (kill -9 included), a new one starts.
. "$(dirname "$0")/lib.inc"

start_daemon basic
expect 0 ctl set vm-b 2G --force
has "$out" "pinned at 2.00G"
i=0
until grep -q "pin" "$T/state" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "no pin in the state file"; sleep 0.1
done
cp "$T/state" "$T/state.before"

sed "s|^socket = .*|socket = $T/run/other|" "$T/balloond.conf" > "$T/second.conf"
expect 78 "$BALLOOND" --config "$T/second.conf" --host sim:basic
one_line "$err"
has "$err" "another balloond runs on this host (pid and socket: $DPID $SOCK; lock $T/state.lock): not starting"
[ ! -e "$T/run/other" ] || fail "the second daemon made its socket"
cmp -s "$T/state" "$T/state.before" || fail "the second daemon changed the state file"
expect 0 ctl show --json vm-b
has "$out" '"pin_kib":2097152'

# kill -9 leaves no stale lock: the kernel dropped it with the process
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=""
"$BALLOOND" --config "$T/balloond.conf" --host sim:basic > "$T/log" 2>&1 &
DPID=$!
i=0
until "$BALLOONCTL" --socket "$SOCK" status > /dev/null 2>&1; do
    kill -0 "$DPID" 2>/dev/null || { DPID=""; fail "balloond did not start after kill -9: $(cat "$T/log")"; }
    i=$((i + 1)); [ $i -lt 100 ] || fail "no answer after the restart"; sleep 0.1
done
expect 0 ctl show --json vm-b
has "$out" '"pin_kib":2097152'
echo "one-daemon: ok"
