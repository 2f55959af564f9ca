#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s07-stuck: a guest that cannot give memory back is reported stuck, its
# target is not hammered (no oscillation: target writes are counted), and
# the other guests are unaffected (g1 still gets memory when it needs it).
#
# How the guest is made uncooperative: it is paused (`xl pause`), so its
# balloon driver never answers, and then given a runtime max below what it
# holds (`balloonctl limits gs --max 250M`).  Pinning memory
# inside a guest and asking for less is not used: measured here, the Linux
# balloon driver then takes every free page and the guest panics on OOM
# (120 MiB pinned, target 160 MiB: stalled at 217 MiB, then "System is
# deadlocked on memory").
# Arguments: the guest made stuck (gs) and the one that grows meanwhile
# (g1; "-" for none; with share-spare off for the scenario when it has no
# room to grow).  A guest other than gs is first pinned at 384 MiB,
# so that it holds more than the runtime max.
# e2e-timeout: 240
# e2e-needs-guests
. /e2e/lib.sh
S=${1:-gs} O=${2:-g1}
need_bins balloond balloonctl balloon-agent
dom_exists $S || fail "$S is not running"

cleanup() {
    xl unpause $S 2>/dev/null; [ "$O" = - ] || hog $O 0
    bctl auto $S >/dev/null 2>&1; bctl limits $S --reset >/dev/null 2>&1
    [ -z "${spare_off:-}" ] || { bd_conf; bctl reload >/dev/null 2>&1; }
}
ensure_balloond
# With few guests, share-spare may have given the other one all it may
# have: then spare memory stays free for this scenario, so that it has
# room to grow.
room() { [ $(( $(xs_smax_kib $O) / 1024 - $(xl_mem_mib $O) )) -ge 96 ]; }
if [ "$O" != - ] && ! room; then
    spare_off=1
    bd_conf share-spare=no
    bctl reload || fail "balloonctl reload (share-spare = no) failed"
    wait_until 60 room || { cleanup; fail "$O did not shrink to make room: xl list $(xl_mem_mib $O) MiB"; }
fi
if [ $S != gs ]; then
    bctl set $S 384M || fail "balloonctl set $S 384M failed"
    at384() { [ "$(xl_mem_mib $S)" -ge 380 ]; }
    wait_until 40 at384 || { cleanup; fail "$S did not reach 384 MiB: $(xl_mem_mib $S)"; }
    bctl auto $S || { cleanup; fail "balloonctl auto $S failed"; }
fi
xl pause $S || fail "xl pause $S"
# A runtime max below what $S holds: balloond must lower its target (a
# target outside the limits is always corrected), and the paused guest
# cannot follow.
watch_targets_start $S $( [ "$O" = - ] || echo $O)
sampler_start s07 1 xenstore-read "$(xs_dom $S)/memory/target"
# --force: a max below what the guest uses needs it (balloonctl(8)); here
# the point is a max the paused guest cannot follow.
bctl limits $S --max 250M --force || { cleanup; fail "balloonctl limits $S --max 250M failed (rc=$?)"; }
t0=$(now_s)
lowered() { [ "$(xs_target_kib $S)" -le 256000 ]; }
wait_until 20 lowered || { sampler_stop s07; cleanup; fail "$S target not lowered to its runtime max: $(xs_target_kib $S)"; }
stuck() { snap && [ "$(sf $S state)" = stuck ]; }
if ! wait_until 60 stuck; then
    sampler_stop s07
    cleanup
    fail "$S not reported stuck 60 s after its target was lowered: state $(sf $S state) ($(sf $S reason)), target $(xs_target_kib $S), xl list $(xl_mem_mib $S) MiB"
fi
t_stuck=$(now_s)
metric stuck_detect_ms "$(elapsed_ms "$t0")"
note "$S stuck: $(sf $S reason); target $(xs_target_kib $S) KiB, current $(xl_mem_mib $S) MiB"

# Meanwhile the others: $O asks for memory and gets it.
g1ok=1
if [ "$O" != - ]; then
    xl_snap
    m1=$(xm $O)
    hog $O $((m1 + 40))
    g1_grew() { [ "$(xl_mem_mib $O)" -ge $((m1 + 32)) ]; }
    wait_until 60 g1_grew || g1ok=0
fi
sleep 5
sampler_stop s07
watch_targets_stop $S $( [ "$O" = - ] || echo $O)
after=$(watch_count tgt.$S "$t_stuck")
total=$(watch_count tgt.$S)
# Direction changes in the sampled target of $S: down then up then down...
turns=$(awk 'NF >= 2 { v = $2; if (p != "") { d = (v > p) ? 1 : (v < p) ? -1 : 0;
             if (d != 0) { if (ld != 0 && d != ld) t++; ld = d } } p = v }
             END { print t + 0 }' /tmp/sample.s07)
note "$S target writes: $total in all, $after after stuck; direction changes $turns"
metric stuck_target_writes "$total"
xl list $S | awk 'NR == 2' | grep -q ' --p' || note "$S state: $(xl list $S | awk 'NR == 2 { print $5 }')"
cleanup
[ $g1ok = 1 ] || fail "$O did not grow while $S was stuck: xl list $(xl_mem_mib $O) MiB (was $m1), state $(sf $O state)"
[ "$after" -le 1 ] || fail "$after target writes to $S after it was declared stuck"
[ "$turns" -le 1 ] || fail "$S target oscillated ($turns direction changes)"
# Unpaused, the guest balloons down to what it was asked; it must survive.
sleep 8
xl list $S | awk 'NR == 2 { print $5 }' | grep -q '[cs]' && fail "$S crashed after unpause"
exit 0
