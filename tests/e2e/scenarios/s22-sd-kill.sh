#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s22-sd-kill (systemd dom0): `systemctl kill -s SIGKILL balloond`, and
# systemd restarts it (Restart=on-failure, RestartSec=2s): a new main
# PID, one more in NRestarts.  The pin set before (`balloonctl set g1
# 300M`) comes back from the state file, and there is no burst of target
# writes after the restart (counted with xenstore watches, as s09).
# Leaves the main PID and restart count for s23.
# e2e-timeout: 120
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond
cleanup() { bctl auto g1 >/dev/null 2>&1; }
trap cleanup EXIT

bctl set g1 300M || fail "balloonctl set g1 300M failed (rc=$?)"
pinned() { [ "$(xs_target_kib g1)" = 307200 ]; }
wait_until 30 pinned || fail "pin not applied: g1 target $(xs_target_kib g1)"
steady() { a=$(xs_target_kib g1) b=$(xs_target_kib gh); sleep 5; [ "$(xs_target_kib g1)" = "$a" ] && [ "$(xs_target_kib gh)" = "$b" ]; }
wait_until 40 steady || note "targets still moving before the kill"
watch_targets_start g1 gh
pid0=$(bd_pid)
n0=$(sd_prop NRestarts)
c=$(sd_cursor)
t_kill=$(now_s)
systemctl kill -s SIGKILL $BD_UNIT || fail "systemctl kill failed (rc=$?)"
back() { _p=$(bd_pid); [ -n "$_p" ] && [ "$_p" != "$pid0" ] && [ "$(sd_prop ActiveState)" = active ]; }
wait_until 40 back ||
    fail "not restarted: $(systemctl show -p ActiveState,SubState,Result,NRestarts $BD_UNIT | tr '\n' ' ')"
metric sd_restart_ms "$(elapsed_ms "$t_kill")"
n1=$(sd_prop NRestarts)
note "killed $pid0; now $(bd_pid), NRestarts $n0 -> $n1"
[ "$n1" = $((n0 + 1)) ] || fail "NRestarts went from $n0 to $n1"
sd_journal_since "$c" -o cat | sed 's/^/  log: /'
sd_journal_since "$c" -o cat | grep -q 'status=9/KILL' || fail "the journal does not record the SIGKILL"
sleep 15
watch_targets_stop g1 gh
snap || fail "show failed after the restart"
[ "$(sf g1 state)" = pinned ] || fail "g1's pin lost: state $(sf g1 state)"
[ "$(sf g1 target_kib)" = 307200 ] && [ "$(xs_target_kib g1)" = 307200 ] ||
    fail "g1's pinned target lost: show $(sf g1 target_kib), xenstore $(xs_target_kib g1)"
w1=$(watch_count tgt.g1 "$t_kill") wh=$(watch_count tgt.gh "$t_kill")
note "target writes after the kill: g1 $w1, gh $wh"
metric sd_restart_writes "g1:$w1,gh:$wh"
[ "$w1" -le 1 ] && [ "$wh" -le 1 ] || fail "burst of target writes after the restart (g1 $w1, gh $wh)"
echo "$(bd_pid) $n1" > /tmp/e2e-sd-after-kill
exit 0
