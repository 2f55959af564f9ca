#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s14-hvm-pod: an HVM guest started in populate-on-demand (memory < maxmem)
# is managed without a target it cannot reach, and counted right.  Runs
# first in its suite: it starts balloond itself and records every value of
# the guest's memory/target from then on.  Asserts:
#   - every target written is within [min, static-max] (never above what
#     the guest can populate; libxl would refuse it anyway);
#   - the guest settles at each target balloond or balloonctl sets (after
#     its initial PoD balloon-down, after set 384M above its boot size,
#     after set 224M below it, after auto), and balloond never calls it
#     stuck or clipped meanwhile;
#   - accounting: balloond's current is what xl list shows (within 2 MiB):
#     the domain's pages, video RAM included, as memory/target includes it;
#     the guest's own balloon target is the video RAM and a few hundred KiB
#     (0..1024) below memory/target, which balloond must not take for a
#     guest that does not move;
#   - no libxl error for the domain, no PoD exhaustion in Xen's log.
# Argument: the guest (h1).
# e2e-timeout: 240
# e2e-needs-guests
. /e2e/lib.sh
G=${1:-h1}
need_bins balloond balloonctl balloon-agent
id=$(domid $G) || fail "$G is not running"
base=/local/domain/$id
MIN_KIB=163840
smax=$(xenstore-read $base/memory/static-max)
video=$(xenstore-read $base/memory/videoram 2>/dev/null || echo 0)
note "$G: static-max $smax KiB, target $(xenstore-read $base/memory/target) KiB, videoram $video KiB, xl list $(xl list $G | awk 'NR == 2 { print $3 }') MiB"
metric hvm_videoram_kib "$video"

# Every value memory/target takes, with the time.
( xenstore-watch $base/memory/target | while read -r _p; do
      echo "$(now_s) $(xenstore-read $base/memory/target 2>/dev/null)"
  done ) > /tmp/s14.targets &
sampler_start s14 2 sh -c "$BALLOONCTL show | awk 'NR == 1 { for (i = 1; i <= NF; i++) if (\$i == \"STATE\") c = i } \$1 == \"$G\" { print \$c }'"
cleanup() { sampler_stop s14; bctl auto $G >/dev/null 2>&1; }
t0=$(now_s)
ensure_balloond

# settled: balloond's current at its target, and balloond's current is
# what xl list shows.
settled() {
    snap || return 1
    c=$(sf $G current_kib) t=$(sf $G target_kib)
    xm_kib=$(( $(xl list $G | awk 'NR == 2 { print $3 }') * 1024 ))
    [ $c -le $((t + 1024)) ] && [ $c -ge $((t - 2048)) ] &&
        [ $((c - xm_kib)) -le 2048 ] && [ $((xm_kib - c)) -le 2048 ]
}
settle() { # what: wait, then report
    wait_until "$2" settled || { cleanup; fail "$G did not settle $1: balloond current $(sf $G current_kib) target $(sf $G target_kib) state $(sf $G state) ($(sf $G reason)); xl list $(xl list $G | awk 'NR == 2 { print $3 }') MiB, videoram $video KiB"; }
    note "settled $1: current $c KiB, target $t KiB, xl list $xm_kib KiB"
}
settle "after start (initial PoD balloon-down)" 90
metric pod_settle_ms "$(elapsed_ms "$t0")"

gap() { # the guest's own target against memory/target less video RAM
    xenstore-write $base/data/e2e/poke $(now_int)
    sleep 2
    gt=$(xenstore-read $base/data/e2e/guest-target-kb 2>/dev/null)
    echo $(( $(xenstore-read $base/memory/target) - video - ${gt:-0} ))
}
for m in 384 224; do
    bctl set $G ${m}M || { cleanup; fail "balloonctl set $G ${m}M failed"; }
    settle "at ${m} MiB" 60
    [ $t = $((m * 1024)) ] || { cleanup; fail "target $t KiB after set ${m}M"; }
done
g=$(gap)
note "guest-side target: video RAM and $g KiB below memory/target"
metric hvm_guest_target_gap_kib "$g"
[ "$g" -ge 0 ] && [ "$g" -le 1024 ] || { cleanup; fail "the guest's own target is video RAM and $g KiB below memory/target, expected 0..1024"; }
bctl auto $G || { cleanup; fail "balloonctl auto $G failed"; }
sleep 12
settle "after auto" 60
sampler_stop s14

sort -n /tmp/s14.targets | awk '{ print $2 }' | tr '\n' ' ' | sed 's/^/targets (KiB): /'; echo
bad=$(awk -v lo=$MIN_KIB -v hi=$smax 'NF == 2 && ($2 < lo || $2 > hi) { print $2 }' /tmp/s14.targets)
[ -z "$bad" ] || fail "targets outside [$MIN_KIB, $smax]: $bad"
n=$(awk 'NF == 2' /tmp/s14.targets | wc -l)
metric hvm_target_values "$n"
states=$(awk '{ print $2 }' /tmp/sample.s14 | sort | uniq -c | tr '\n' ' ')
note "states seen: $states"
grep -qE ' (stuck|clipped)' /tmp/sample.s14 && fail "balloond called $G stuck or clipped: $states"
grep -E "libxl: domain $id:" "$BD_LOG" && fail "libxl errors for $G"
xl dmesg | grep -i "PoD" | grep -iE "out of|fail" && fail "Xen reports PoD trouble"
exit 0
