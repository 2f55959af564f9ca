#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s40-calibrate: the benchmark's calibration on this testbed (run by
# tests/e2e/calibrate.sh, not by make e2e).  For one guest type and each
# static-max it creates a guest (booted at 256 MiB, from g1's, p1's or h1's
# config), then measures and prints as E2E-METRIC cal.TYPE.MAXMIB.KEY:
#   need_kib, memory_kib  what libxl_domain_need_memory() says it needs
#                       (balloonctl reserve CFG prints it before it asks
#                       the daemon; no daemon runs here)
#   taken_kib           host free memory before create less after, once the
#                       guest's balloon settled (xl info, MiB)
#   cur_kib.N, memtotal_kib.N  the domain's pages (xl list, MiB) and the
#                       guest's MemTotal (its agent's report), at 256 MiB
#                       (N=0), grown (1), shrunk again (2)
#   grow_kib, grow_ms, shrink_kib, shrink_ms  a balloon move asked with
#                       xl mem-set, timed in the guest from the change of
#                       its driver's target to what it holds reaching it
#   report_ms.N         64 MiB held (N odd) or given back (even), to the
#                       agent's report of it in data/balloon/mem-available
# and cal.info.{xen,kernel,loop_ms}: the versions, and how long a fixed
# busybox awk loop takes in dom0 (the emulator's slowdown).
# The suite sets CAL_TYPE (pv, pvh, hvm) and CAL_SIZES (static-max, MiB).
# e2e-timeout: 800
. /e2e/lib.sh
TYPE=${CAL_TYPE:-${1:-pv}}
SIZES=${CAL_SIZES:-512 1024 2048}
BOOT=256 GROWN=448
need_bins balloonctl balloon-agent
case $TYPE in
pv) BASE=/e2e/guests/g1.cfg ;;
pvh) BASE=/e2e/guests/p1.cfg ;;
hvm) BASE=/e2e/guests/h1.cfg ;;
*) fail "unknown guest type $TYPE" ;;
esac
trap 'xl destroy cal 2>/dev/null' EXIT
metric cal.info.xen "$(xl info xen_version)"
metric cal.info.kernel "$(uname -r)"
# The emulator's slowdown, for the hardware estimate: calibrate.sh times the
# same busybox loop on the machine that runs QEMU.
t0=$(now_s)
busybox awk 'BEGIN { for (i = 0; i < 2000000; i++) s += i; print s }' >/dev/null
metric cal.info.loop_ms "$(elapsed_ms "$t0")"

# balloonctl's "NAME: need 1.13G (memory 1.00G + Xen overhead 130M)" -> KiB
to_kib() {
    awk -v s="$1" 'BEGIN { u = substr(s, length(s)); v = substr(s, 1, length(s) - 1) + 0
        m = u == "K" ? 1 : u == "M" ? 1024 : u == "G" ? 1048576 : 0
        printf "%d", v * m }'
}
settled() { # the guest's driver holds its target
    xenstore-write "$(xs_dom cal)/data/e2e/poke" "$(now_s)"
    sleep 0.5
    [ -n "$(guest_key cal data/e2e/guest-current-kb)" ] &&
        [ "$(guest_key cal data/e2e/guest-current-kb)" = "$(guest_key cal data/e2e/guest-target-kb)" ]
}
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
memtotal_kib() { guest_key cal data/balloon/mem-total; }
cal_run() { # CMD ROUND: ask the guest, wait for its result line
    _k=$(xs_dom cal)/data/e2e
    xenstore-write "$_k/cal-result" "" "$_k/cal-armed" "" "$_k/cal" "$1.$2"
    _r=$2
    # A busy guest under TCG can take long to pick the command up: ask
    # again once before giving up.
    wait_until 60 eval '[ "$(xenstore-read $_k/cal-armed 2>/dev/null)" = "$_r" ]' || {
        xenstore-write "$_k/cal" "$1.$2"
        wait_until 60 eval '[ "$(xenstore-read $_k/cal-armed 2>/dev/null)" = "$_r" ]'
    } || fail "the guest did not arm calibration $1.$2"
}
cal_result() { # ROUND: the guest's result line, once written
    _k=$(xs_dom cal)/data/e2e
    _r=$1
    wait_until 150 eval 'xenstore-read $_k/cal-result 2>/dev/null | grep -q "^$_r "' ||
        fail "no calibration result for round $1"
    xenstore-read "$_k/cal-result"
}
sample_overhead() { # N
    wait_until 60 settled || note "cal $TYPE $S: balloon not settled at sample $1"
    sleep 3 # the agent's next report
    metric "cal.$TYPE.$S.cur_kib.$1" $(( $(xl_mem_mib cal) * 1024 ))
    metric "cal.$TYPE.$S.memtotal_kib.$1" "$(memtotal_kib)"
}
move() { # ROUND MIB NAME: one timed balloon move
    cal_run balloon "$1"
    xl mem-set cal "${2}m" || fail "xl mem-set cal ${2}m"
    set -- $(cal_result "$1") "$3"
    # R balloon T_CHANGE T_REACHED FROM TO CUR
    [ "$7" = "$6" ] || note "cal $TYPE $S: $8 stopped at $7 of $6 KiB"
    metric "cal.$TYPE.$S.${8}_kib" $(( $7 > $5 ? $7 - $5 : $5 - $7 ))
    metric "cal.$TYPE.$S.${8}_ms" "$(ms_between "$3" "$4")"
}

for S in $SIZES; do
    mark "calibrate $TYPE $S"
    sed -e 's/^name = .*/name = "cal"/' -e "s/^memory = .*/memory = $BOOT/" \
        -e "s/^maxmem = .*/maxmem = $S/" -e 's|/run/e2e-disk-h1.img|/run/e2e-disk-cal.img|' \
        "$BASE" > /tmp/cal.cfg
    line=$("$BALLOONCTL" reserve /tmp/cal.cfg 2>/dev/null | head -n 1)
    note "$line"
    set -- $(echo "$line" | sed -n 's/.*need \([^ ]*\) (memory \([^ ]*\) + Xen overhead \([^ ]*\)).*/\1 \2 \3/p')
    [ $# = 3 ] || fail "balloonctl reserve printed no need: $line"
    metric "cal.$TYPE.$S.need_kib" "$(to_kib "$1")"
    metric "cal.$TYPE.$S.memory_kib" "$(to_kib "$2")"
    free0=$(host_free_mib)
    create_guest cal /tmp/cal.cfg || fail "cal ($TYPE, maxmem $S) did not boot"
    wait_until 120 settled || note "cal $TYPE $S: balloon not settled after boot"
    sleep 2
    metric "cal.$TYPE.$S.taken_kib" $(( (free0 - $(host_free_mib)) * 1024 ))
    sample_overhead 0
    move 1 $GROWN grow
    sample_overhead 1
    move 2 $BOOT shrink
    sample_overhead 2
    for r in 1 2 3 4; do
        cal_run report "$r"
        set -- $(cal_result "$r")
        # a report that showed less than 48 of the 64 MiB is not a delay:
        # the round is left out (calibrate.sh takes the median of the rest)
        [ "$6" != timeout ] || { note "cal $TYPE $S: no report of the whole change in 30 s (round $r)"; continue; }
        metric "cal.$TYPE.$S.report_ms.$r" "$(ms_between "$3" "$4")"
    done
    xl destroy cal || fail "xl destroy cal"
    rm -f /run/e2e-disk-cal.img
    wait_until 30 eval '! dom_exists cal'
done
exit 0
