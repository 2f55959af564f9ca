#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-reserve.sh - reservations that have to wait, on sim:stuck (vm-stuck
# never gives memory back): a reservation that needs it times out after
# --timeout with what was achieved; a client that gives up leaves nothing
# held.  (Success is tested in ctl-commands.sh.)
. "$(dirname "$0")/lib.inc"

start_daemon stuck
wait_reports

# 3G needs vm-stuck's memory: balloond tries for 2 s, then says how far it got.
start=$(date +%s)
expect 1 ctl reserve 3G --timeout 2s
took=$(( $(date +%s) - start ))
if [ "$took" -lt 1 ] || [ "$took" -gt 8 ]; then fail "timeout took ${took}s"; fi
has "$err" "reserve: timed out"
has "$err" "of 3.00G"
one_line "$err"
expect 0 ctl status
has "$out" "(0 reservations)"

# A client that goes away while waiting: the reservation is dropped.
"$BALLOONCTL" --socket "$SOCK" reserve 3G --timeout 1min > /dev/null 2>&1 &
waiter=$!
sleep 1
kill "$waiter"
wait "$waiter" 2>/dev/null
sleep 1
expect 0 ctl status
has "$out" "(0 reservations)"
alive

echo "$NAME: ok"
