#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s04-weights: two guests together want more than the host has, and the
# memory above their minimums splits by weight (g1 100, g2 300: 1:3,
# accepted 1:2 .. 1:4.5).  The test raises [host] reserve so that g1 and g2
# share about POOL MiB, with g3 idle at its need; then both hogs make their
# needs (use + headroom) exceed their weighted shares, while what they use
# stays below those shares: shrinking a guest without swap below its use
# kills it (the crash check after each scenario would catch that).  Host
# free memory (xl info) is sampled every second once the new reserve is
# reached and must never drop below it.
# e2e-timeout: 210
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl balloon-agent
ensure_balloond
POOL=480
G3_NEED=158
MIN1=128 MIN2=160

cleanup() { hog g1 0; hog g2 0; bd_conf; bctl reload >/dev/null 2>&1; sampler_stop s04 2>/dev/null; }
hog g1 0; hog g2 0; hog g3 0
xl_snap
free=$(host_free_mib)
reserve=$((free + $(xm g1) + $(xm g2) + $(xm g3) - POOL - G3_NEED))
note "free ${free} MiB, g1 $(xm g1), g2 $(xm g2), g3 $(xm g3): reserve := ${reserve}M"
[ $reserve -ge 128 ] || fail "host too small for this test (reserve $reserve)"
bd_conf "reserve=${reserve}M"
bctl reload || fail "balloonctl reload failed (rc=$?)"
t0=$(now_s)
reached() { [ "$(host_free_mib)" -ge $((reserve - 1)) ]; }
wait_until 60 reached || { cleanup; fail "host free $(host_free_mib) MiB 60 s after raising the reserve to ${reserve}M"; }
metric weights_reserve_reached_ms "$(elapsed_ms "$t0")"
xl_snap
note "reserve reached: g1 $(xm g1), g2 $(xm g2), g3 $(xm g3), free $(host_free_mib)"
sampler_start s04 1 xl info free_memory
# Fair shares for POOL: g1 = 128 + 100 L, g2 = 160 + 300 L, L = 0.48:
# 176 / 304 MiB.  Use (hog + ~30 MiB, + ~56 MiB kernel overhead outside
# MemTotal) stays below them; need (that + 64M headroom) is above them.
hog g1 60
hog g2 180
t0=$(now_s)
split_ok() {
    snap || return 1
    t1=$(sf g1 target_kib) t2=$(sf g2 target_kib)
    a1=$((t1 / 1024 - MIN1)) a2=$((t2 / 1024 - MIN2))
    f=$(host_free_mib)
    echo "$(now_s) g1 ${t1} g2 ${t2} above-min ${a1}/${a2} hogs $(hog_have g1)/$(hog_have g2) free $f" >> /tmp/s04.trace
    [ $a1 -ge 16 ] || return 1
    # the host short (pool used up), and the ratio right
    [ $f -le $((reserve + 48)) ] || return 1
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
