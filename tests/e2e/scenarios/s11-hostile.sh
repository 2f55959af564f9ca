#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s11-hostile: a guest (gh) floods its stat keys with garbage, huge numbers,
# oversized values and a stream of seq updates for 30 s.  balloond must stay
# responsive (balloonctl show answers quickly), its CPU use low, its log
# quiet, the hostile guest's target within its limits, and the other guest's
# (g1) target unaffected.
# e2e-timeout: 150
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond
dom_exists gh || fail "gh is not running"
FLOOD=30

# Let g1 settle: its target unchanged for 6 s.
steady() { a=$(xs_target_kib g1); sleep 6; [ "$(xs_target_kib g1)" = "$a" ]; }
wait_until 60 steady || note "g1 target still moving before the flood"
t1=$(xs_target_kib g1)
watch_targets_start g1
l0=$(bd_log_lines)
c0=$(bd_cpu_ticks)
t0=$(now_s)
xenstore-write "$(xs_dom gh)/data/e2e/flood" $FLOOD
maxms=0 n=0 bad=0
while [ "$(elapsed_ms "$t0")" -lt $((FLOOD * 1000)) ]; do
    s=$(now_s)
    timeout 10 "$BALLOONCTL" show --json > /dev/null 2>&1 || bad=$((bad + 1))
    ms=$(elapsed_ms "$s")
    [ $ms -le $maxms ] || maxms=$ms
    n=$((n + 1))
    sleep 2
done
c1=$(bd_cpu_ticks)
el=$(elapsed_ms "$t0")
watch_targets_stop g1
bd_alive || fail "balloond died during the flood"
cpu=$(( (c1 - c0) * 10 * 100 / el ))   # ticks are 10 ms: percent of one CPU
lines=$(( $(bd_log_lines) - l0 ))
note "flood: show answered $n times, slowest ${maxms} ms, $bad failures; balloond cpu ${cpu}% over ${el} ms; $lines log lines"
rounds=$(grep -a -o 'flood done after [0-9]* rounds' /var/log/xen/console/guest-gh.log | tail -n 1)
note "gh: ${rounds:-flood still running} (16 key writes a round)"
metric hostile_show_max_ms "$maxms"
metric hostile_balloond_cpu_pct "$cpu"
metric hostile_log_lines "$lines"
[ $bad = 0 ] || fail "balloonctl show failed $bad times during the flood"
[ $maxms -le 5000 ] || fail "balloonctl show took ${maxms} ms during the flood"
[ $cpu -le 20 ] || fail "balloond used ${cpu}% CPU during the flood"
[ $lines -le 30 ] || { tail -n +$((l0 + 1)) "$BD_LOG" | head -n 20; fail "balloond logged $lines lines during the flood"; }
w=$(watch_count tgt.g1)
[ "$w" -le 1 ] || fail "g1's target was written $w times during the flood (was steady at $t1)"
snap
tg=$(xs_target_kib gh) lo=$(sf gh min_kib) hi=$(sf gh max_kib)
note "gh: state $(sf gh state) ($(sf gh reason)), target $tg in [$lo, $hi]"
[ "$tg" -ge "$lo" ] && [ "$tg" -le "$hi" ] || fail "gh target $tg outside [$lo, $hi]"
[ "$(sf gh used_kib)" = null ] || [ "$(sf gh used_kib)" -le $((384 * 1024)) ] ||
    fail "balloond believes gh uses $(sf gh used_kib) KiB (more than its maxmem)"
exit 0
