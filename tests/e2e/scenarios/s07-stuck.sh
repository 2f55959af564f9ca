#!/bin/sh
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
# e2e-timeout: 180
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl balloon-agent
dom_exists gs || fail "gs is not running"

cleanup() { xl unpause gs 2>/dev/null; hog g1 0; bctl limits gs --reset >/dev/null 2>&1; }
ensure_balloond
xl pause gs || fail "xl pause gs"
# A runtime max below what gs holds: balloond must lower its target (a
# target outside the limits is always corrected), and the paused guest
# cannot follow.
watch_targets_start gs g1
sampler_start s07 1 xenstore-read "$(xs_dom gs)/memory/target"
# --force: a max below what the guest uses needs it (balloonctl(8)); here
# the point is a max the paused guest cannot follow.
bctl limits gs --max 250M --force || { cleanup; fail "balloonctl limits gs --max 250M failed (rc=$?)"; }
t0=$(now_s)
lowered() { [ "$(xs_target_kib gs)" -le 256000 ]; }
wait_until 20 lowered || { sampler_stop s07; cleanup; fail "gs target not lowered to its runtime max: $(xs_target_kib gs)"; }
stuck() { snap && [ "$(sf gs state)" = stuck ]; }
if ! wait_until 60 stuck; then
    sampler_stop s07
    cleanup
    fail "gs not reported stuck 60 s after its target was lowered: state $(sf gs state) ($(sf gs reason)), target $(xs_target_kib gs), xl list $(xl_mem_mib gs) MiB"
fi
t_stuck=$(now_s)
metric stuck_detect_ms "$(elapsed_ms "$t0")"
note "gs stuck: $(sf gs reason); target $(xs_target_kib gs) KiB, current $(xl_mem_mib gs) MiB"

# Meanwhile the others: g1 asks for memory and gets it.
xl_snap
m1=$(xm g1)
hog g1 $((m1 + 40))
g1_grew() { [ "$(xl_mem_mib g1)" -ge $((m1 + 32)) ]; }
g1ok=1
wait_until 60 g1_grew || g1ok=0
sleep 5
sampler_stop s07
watch_targets_stop gs g1
after=$(watch_count tgt.gs "$t_stuck")
total=$(watch_count tgt.gs)
# Direction changes in the sampled target of gs: down then up then down...
turns=$(awk 'NF >= 2 { v = $2; if (p != "") { d = (v > p) ? 1 : (v < p) ? -1 : 0;
             if (d != 0) { if (ld != 0 && d != ld) t++; ld = d } } p = v }
             END { print t + 0 }' /tmp/sample.s07)
note "gs target writes: $total in all, $after after stuck; direction changes $turns"
metric stuck_target_writes "$total"
xl list gs | awk 'NR == 2' | grep -q ' --p' || note "gs state: $(xl list gs | awk 'NR == 2 { print $5 }')"
cleanup
[ $g1ok = 1 ] || fail "g1 did not grow while gs was stuck: xl list $(xl_mem_mib g1) MiB (was $m1), state $(sf g1 state)"
[ "$after" -le 1 ] || fail "$after target writes to gs after it was declared stuck"
[ "$turns" -le 1 ] || fail "gs target oscillated ($turns direction changes)"
# Unpaused, the guest balloons down to what it was asked; it must survive.
sleep 8
xl list gs | awk 'NR == 2 { print $5 }' | grep -q c && fail "gs crashed after unpause"
exit 0
