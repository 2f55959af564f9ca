#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s15-kill-reserve: kill -9 balloond while a reservation is being freed,
# then while one is held (issue 24).  The waiting client ends at once with
# an error line (no hang); the new balloond holds no reservation that
# nobody waits for; a granted one comes back from the state file with its
# id and can be released; no guest is below its use; balancing resumes
# (g1's hog gets its memory).
# e2e-timeout: 170
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond
cleanup() { xl unpause g1 2>/dev/null; xl unpause g2 2>/dev/null; xl unpause g3 2>/dev/null; hog g1 0; }
trap cleanup EXIT
st() { bctl status --json > /tmp/st.json 2>/tmp/bctl.err; }
stj() { jq -r "$1" /tmp/st.json; }
kill_bd() { kill -9 "$(bd_pid)"; rm -f "$BD_PIDFILE"; sleep 0.5; }
# no target below what its guest reports in use (a guest without a report:
# skipped); lib.sh's none_below_use checks what each guest holds
targets_not_below_use() {
    snap || return 1
    for d in g1 g2 g3; do
        u=$(sf $d used_kib) t=$(xs_target_kib $d)
        [ "$u" = null ] || [ "$t" -ge "$u" ] || { note "$d target $t below its use $u"; return 1; }
    done
}

# 1. Being freed: nearly all that can be reclaimed, with the guests paused
# so that their balloons cannot give it yet (a guest that shrinks slowly):
# the kill lands while the reservation waits, however fast balloons move.
hog g1 0
st || fail "status failed: $(cat /tmp/bctl.err)"
ask=$(( $(stj .capacity_reclaim_kib) / 1024 - 16 ))
[ "$ask" -ge 128 ] || fail "only ${ask} MiB reclaimable: nothing to wait for"
rm -f /tmp/kr.rc
for d in g1 g2 g3; do xl pause $d || fail "xl pause $d failed"; done
( "$BALLOONCTL" reserve ${ask}M --timeout 60s > /tmp/kr.out 2>&1; echo $? > /tmp/kr.rc ) &
waiting() { st && [ "$(stj '.reservation_list | length')" = 1 ]; }
wait_until 10 waiting || fail "reserve ${ask}M never showed in status: $(cat /tmp/kr.out)"
granted=$(stj '.reservation_list[0].granted')
t_kill=$(now_s)
kill_bd
note "reserve ${ask}M: balloond killed with it granted=$granted"
[ "$granted" = false ] || fail "the reservation was granted before the kill: nothing was being freed"
wait_until 10 test -s /tmp/kr.rc || fail "balloonctl reserve still waits 10 s after balloond died"
for d in g1 g2 g3; do xl unpause $d || fail "xl unpause $d failed"; done
metric kill_reserve_client_ms "$(elapsed_ms "$t_kill")"
cat /tmp/kr.out
[ "$(cat /tmp/kr.rc)" != 0 ] || fail "balloonctl reserve exited 0 without its memory"
grep -q '^balloonctl: ' /tmp/kr.out || fail "balloonctl reserve gave no error line"
start_balloond || fail "balloond did not come back after kill -9"
st || fail "status failed after the restart"
[ "$(stj .reservations)" = 0 ] || fail "a reservation nobody waits for came back: $(stj .reservation_list)"
g1_view() { echo "g1: xl $(xl_mem_mib g1) MiB, target $(xs_target_kib g1), guest sees target $(guest_key g1 data/e2e/guest-target-kb) current $(guest_key g1 data/e2e/guest-current-kb), hog $(hog_have g1) MiB"; }
# the targets the kill left low grow back, and the guests get the memory
t_up=$(now_s)
grown() { t=$(xs_target_kib g1) m=$(xl_mem_mib g1); [ "$t" -ge 307200 ] && [ $((m * 1024 + 8192)) -ge "$t" ]; }
wait_until 60 grown || fail "balancing did not resume: $(g1_view)"
metric kill_reserve_regrow_ms "$(elapsed_ms "$t_up")"
note "after the restart: $(g1_view)"
hog g1 160
fed() { hog_at_least g1 152 && targets_not_below_use; }
wait_until 60 fed || fail "g1's hog did not get its memory: $(g1_view)"
targets_not_below_use || fail "a target is below its guest's use after the restart"
none_below_use g1 g2 g3

# 2. Held: granted at once (the start pool is free), killed, restored.
id=$(bctl reserve 64M --quiet) || fail "balloonctl reserve 64M failed: $id"
kill_bd
start_balloond || fail "balloond did not come back after the second kill -9"
st || fail "status failed after the second restart"
[ "$(stj '.reservation_list[0].id')" = "$id" ] && [ "$(stj '.reservation_list[0].granted')" = true ] ||
    fail "held reservation $id not restored: $(stj .reservation_list)"
bctl release "$id" || fail "balloonctl release $id failed after the restart"
st && [ "$(stj .reservations)" = 0 ] || fail "reservation $id still listed after its release"
targets_not_below_use || fail "a target is below its guest's use at the end"
none_below_use g1 g2 g3
exit 0
