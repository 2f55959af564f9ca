#!/bin/sh
# s04-weights: two guests together want more than the host has.  The test
# sets [host] reserve so that g1 and g2 share a pool of POOL MiB (plus their
# current memory), both hogs ask for 400 MiB, and the memory above their
# mins must split by weight (g1 100, g2 300: 1:3, accepted 1:2 .. 1:4.5).
# Host free memory (xl info) is sampled every second and must never drop
# below the reserve.
# e2e-timeout: 180
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl balloon-agent
ensure_balloond
POOL=480
MIN1=128 MIN2=160

cleanup() { hog g1 0; hog g2 0; bd_conf; bctl reload >/dev/null 2>&1; sampler_stop s04 2>/dev/null; }
settled() { xl_snap; [ "$(xm g3)" -le 140 ]; }
wait_until 60 settled || note "g3 still at $(xm g3) MiB (not at its floor)"
xl_snap
free=$(host_free_mib)
reserve=$((free + $(xm g1) + $(xm g2) - POOL))
note "free ${free} MiB, g1 $(xm g1), g2 $(xm g2), g3 $(xm g3): reserve := ${reserve}M"
[ $reserve -ge 128 ] || fail "host too small for this test (reserve $reserve)"
bd_conf "reserve=${reserve}M"
bctl reload || fail "balloonctl reload failed (rc=$?)"
sampler_start s04 1 xl info free_memory
hog g1 400
hog g2 400
t0=$(now_s)
split_ok() {
    snap || return 1
    t1=$(sf g1 target_kib) t2=$(sf g2 target_kib)
    a1=$((t1 / 1024 - MIN1)) a2=$((t2 / 1024 - MIN2))
    echo "$(now_s) g1 ${t1} g2 ${t2} above-min ${a1}/${a2} hogs $(hog_have g1)/$(hog_have g2) free $(host_free_mib)" >> /tmp/s04.trace
    [ $a1 -ge 16 ] || return 1
    # both short of what they ask, the pool used up, and the ratio right
    [ "$(hog_have g1)" -lt 400 ] && [ "$(hog_have g2)" -lt 400 ] || return 1
    [ $((a2 * 10)) -ge $((a1 * 20)) ] && [ $((a2 * 10)) -le $((a1 * 45)) ]
}
ok=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
    if split_ok; then ok=$((ok + 1)); [ $ok -ge 2 ] && break; else ok=0; fi
    [ "$(elapsed_ms "$t0")" -lt 110000 ] || break
    sleep 4
done
sampler_stop s04
tail -n 8 /tmp/s04.trace
metric weights_split_ms "$(elapsed_ms "$t0")"
lo=$(awk 'NF >= 2 { if (m == "" || $2 < m) m = $2 } END { print m }' /tmp/sample.s04)
note "lowest host free sampled: ${lo} MiB (reserve ${reserve})"
metric weights_lowest_free_mib "$lo"
cleanup
[ "$lo" -ge $((reserve - 1)) ] || fail "host free memory fell to ${lo} MiB, reserve ${reserve}"
[ $ok -ge 2 ] || fail "split did not follow the weights 1:3 (see trace above)"
exit 0
