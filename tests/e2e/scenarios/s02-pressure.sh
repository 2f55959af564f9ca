#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s02-pressure: a guest under memory pressure (its hog allocates and waits
# for memory) gets a higher target within seconds and xl list shows it grew.
# Measures the latency from the agent's report (data/balloon/seq) to the
# target write balloond makes in answer.  A guest alone on its host has
# been given all it may have (share-spare): then spare memory stays free
# for this scenario (share-spare = no) and the guest first shrinks to its
# need, so that it has room to grow.  Argument: the guest (g1).
# e2e-timeout: 180
# e2e-needs-guests
. /e2e/lib.sh
G=${1:-g1}
need_bins balloond balloonctl balloon-agent
ensure_balloond
restore() { hog $G 0; [ -z "${spare_off:-}" ] || { bd_conf; bctl reload >/dev/null 2>&1; }; }
trap restore EXIT

stats_in() { snap && [ "$(sf $G used_kib)" != null ] && [ -n "$(sf $G used_kib)" ]; }
wait_until 30 stats_in || fail "balloond shows no guest stats for $G (used_kib=$(sf $G used_kib))"
xl_snap
m0=$(xm $G)
room() { [ $(( $(xs_smax_kib $G) / 1024 - $(xl_mem_mib $G) )) -ge 192 ]; }
if ! room; then
    spare_off=1
    bd_conf share-spare=no
    bctl reload || fail "balloonctl reload (share-spare = no) failed"
    wait_until 60 room || fail "$G did not shrink to make room: xl list $(xl_mem_mib $G) MiB, static-max $(xs_smax_kib $G) KiB"
    sleep 3
    xl_snap
    m0=$(xm $G)
fi
t_0=$(xs_target_kib $G)
id=$(domid $G)
note "$G before: ${m0} MiB, target ${t_0} KiB, used $(sf $G used_kib) KiB"
watch_start seq /local/domain/$id/data/balloon/seq
watch_start tgt /local/domain/$id/memory/target

grow=$((m0 * 3 / 4))
[ $grow -ge 96 ] || grow=96
t0=$(now_s)
hog $G $((m0 + grow - 60))
grown() { [ "$(xl_mem_mib $G)" -ge $((m0 + grow / 2)) ]; }
if ! wait_until 100 grown; then
    snap
    fail "$G did not grow by $((grow / 2)) MiB in 100 s: xl list $(xl_mem_mib $G) MiB, target $(xs_target_kib $G), hog $(hog_have $G) MiB, state $(sf $G state): $(sf $G reason)"
fi
metric pressure_grow_ms "$(elapsed_ms "$t0")"
watch_stop seq
watch_stop tgt
note "$G after: $(xl_mem_mib $G) MiB, target $(xs_target_kib $G), hog $(hog_have $G) MiB, $(watch_count tgt) target writes"
# Latency: each target write after the hog started, against the last
# report that preceded it.
awk -v t0="$t0" '
    FILENAME ~ /seq$/ && FNR > 1 { s[++ns] = $1 }
    FILENAME ~ /tgt$/ && FNR > 1 && $1 >= t0 { w[++nw] = $1 }
    END {
        j = 1; last = -1
        for (i = 1; i <= nw; i++) {
            while (j <= ns && s[j] <= w[i]) { last = s[j]; j++ }
            if (last >= t0) { d = (w[i] - last) * 1000; sum += d; n++; if (d > max) max = d }
        }
        if (n) printf "%d %d %d\n", sum / n, max, n; else print "none"
    }' /tmp/watch.seq /tmp/watch.tgt > /tmp/lat
read -r avg max n < /tmp/lat
[ "$avg" != none ] || fail "no target write followed an agent report"
note "report -> target write: avg ${avg} ms, max ${max} ms over $n writes"
metric report_to_target_avg_ms "$avg"
metric report_to_target_max_ms "$max"
hog $G 0
exit 0
