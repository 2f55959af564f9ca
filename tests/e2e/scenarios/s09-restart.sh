#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s09-restart: kill -9 balloond in the middle of a rebalance and start it
# again: the pin (g2) and the runtime limit (g3 min) survive through the
# state file, no target leaves its limits, and there is no burst of target
# writes after the restart.
# e2e-timeout: 150
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond

cleanup() { hog g1 0; bctl auto g2 2>/dev/null; bctl limits g3 --min 128M >/dev/null 2>&1; }
bctl set g2 300M || fail "balloonctl set g2 300M failed (rc=$?)"
bctl limits g3 --min 200M || { cleanup; fail "balloonctl limits g3 --min 200M failed (rc=$?)"; }
ready() { [ "$(xs_target_kib g2)" = 307200 ] && [ "$(xs_target_kib g3)" -ge 204800 ]; }
wait_until 30 ready || { cleanup; fail "pin/limit not applied: g2 target $(xs_target_kib g2), g3 target $(xs_target_kib g3)"; }
watch_targets_start g1 g2 g3
hog g1 150
sleep 3
old=$(bd_pid)
kill -9 "$old"
t_kill=$(now_s)
note "killed balloond ($old) at ${t_kill}"
rm -f "$BD_PIDFILE"
start_balloond || { cleanup; fail "balloond did not come back after kill -9"; }
t_up=$(now_s)
metric restart_ms "$(elapsed_ms "$t_kill")"
sleep 15
watch_targets_stop g1 g2 g3
snap || { cleanup; fail "show failed after restart"; }
cat /tmp/snap
[ "$(sf g2 state)" = pinned ] || { cleanup; fail "g2 pin lost: state $(sf g2 state)"; }
[ "$(sf g2 target_kib)" = 307200 ] && [ "$(xs_target_kib g2)" = 307200 ] ||
    { cleanup; fail "g2 pinned target lost: show $(sf g2 target_kib), xenstore $(xs_target_kib g2)"; }
[ "$(sf g3 min_kib)" = 204800 ] || { cleanup; fail "g3 runtime min lost: show min_kib $(sf g3 min_kib)"; }
[ "$(xs_target_kib g3)" -ge 204800 ] || { cleanup; fail "g3 target $(xs_target_kib g3) below its runtime min"; }
for d in g1 g2 g3; do
    t=$(xs_target_kib $d) lo=$(sf $d min_kib) hi=$(sf $d max_kib)
    [ "$t" -ge "$lo" ] && [ "$t" -le "$hi" ] || { cleanup; fail "$d target $t outside [$lo, $hi]"; }
done
w1=$(watch_count tgt.g1 "$t_kill") w2=$(watch_count tgt.g2 "$t_kill") w3=$(watch_count tgt.g3 "$t_kill")
note "target writes after the kill: g1 $w1, g2 $w2, g3 $w3"
metric restart_writes "g1:$w1,g2:$w2,g3:$w3"
cleanup
[ $w2 -le 1 ] && [ $w3 -le 1 ] || fail "burst of writes to steady domains after restart (g2 $w2, g3 $w3)"
[ $w1 -le 10 ] || fail "burst of writes to g1 after restart ($w1 in 15 s)"
exit 0
