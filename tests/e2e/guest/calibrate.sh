# SPDX-License-Identifier: GPL-2.0-or-later
# calibrate.sh - the guest's half of the benchmark's calibration
# (tests/e2e/calibrate.sh, scenario s40-calibrate), sourced by e2e-hog.sh,
# which runs cal_cmd when dom0 writes data/e2e/cal:
#   "balloon.R"  time the balloon driver's next move: wait for its own target
#                to change, then for what it holds to reach it; write
#                data/e2e/cal-result = "R balloon T_CHANGE T_REACHED FROM_KB
#                TARGET_KB CURRENT_KB" (guest uptime, seconds)
#   "report.R"   time the balloon-agent's report of a memory change: hold
#                64 MiB more (or give it back), then wait for the report in
#                data/balloon/mem-available to show it; data/e2e/cal-result =
#                "R report T_CHANGED T_REPORTED AVAIL_BEFORE AVAIL_REPORTED"
# data/e2e/cal-armed = R once the guest waits (dom0 moves the target after).
# Timing is on the guest's own clock, so dom0's slow execs (0.3 s each under
# TCG) are not in it.  The waits poll sysfs with shell builtins every 20 ms
# (no process is spawned), so the measuring costs the 1-vCPU guest little.
CAL_XM=/sys/devices/system/xen_memory/xen_memory0

cal_up() { read -r _cu _ < /proc/uptime; echo "$_cu"; }
cal_nap() { read -r -t 0.02 -u 4 _ 2>/dev/null; } # 20 ms, nothing spawned
cal_avail() {
    while read -r _k _v _; do
        [ "$_k" = MemAvailable: ] && { echo "$_v"; return; }
    done < /proc/meminfo
}

cal_balloon() { # R
    read -r _from < $CAL_XM/target_kb
    xenstore-write data/e2e/cal-armed "$1"
    _tk=$_from i=0
    while [ "$_tk" = "$_from" ] && [ $i -lt 6000 ]; do # 120 s
        cal_nap; read -r _tk < $CAL_XM/target_kb; i=$((i + 1))
    done
    _ta=$(cal_up)
    # Reached: what the driver holds equals its target, or it stopped moving
    # for 10 s (a driver that cannot get the pages retries with backoff).
    _last="" _still=0
    while :; do
        read -r _tk < $CAL_XM/target_kb
        read -r _cur < $CAL_XM/info/current_kb
        [ "$_cur" = "$_tk" ] && break
        if [ "$_cur" = "$_last" ]; then
            _still=$((_still + 1))
            [ $_still -lt 500 ] || break
        else
            _still=0 _last=$_cur _tb=$(cal_up)
        fi
        cal_nap
    done
    [ "$_cur" = "$_tk" ] && _tb=$(cal_up)
    xenstore-write data/e2e/cal-result "$1 balloon $_ta ${_tb:-$_ta} $_from $_tk $_cur"
}

cal_report() { # R: 64 MiB more held, or given back when held already
    _a0=$(xenstore-read data/balloon/mem-available 2>/dev/null)
    xenstore-write data/e2e/cal-armed "$1"
    if [ -e /hog/cal ]; then
        rm -f /hog/cal
        _want=up
    else
        dd if=/dev/zero of=/hog/cal bs=1M count=64 2>/dev/null
        _want=down
    fi
    _ta=$(cal_up)
    _end=$(( $(cut -d. -f1 /proc/uptime) + 30 ))
    while :; do
        _a=$(xenstore-read data/balloon/mem-available 2>/dev/null)
        # 48 of the 64 MiB seen: the report is the one after the change
        case $_want in
        down) [ "${_a:-0}" -le $((_a0 - 49152)) ] 2>/dev/null && break ;;
        up) [ "${_a:-0}" -ge $((_a0 + 49152)) ] 2>/dev/null && break ;;
        esac
        [ "$(cut -d. -f1 /proc/uptime)" -lt $_end ] || { _a=timeout; break; }
        i=0
        while [ $i -lt 5 ]; do cal_nap; i=$((i + 1)); done
    done
    xenstore-write data/e2e/cal-result "$1 report $_ta $(cal_up) $_a0 $_a"
}

cal_cmd() { # balloon.R | report.R
    [ -p /tmp/cal-nap ] || mkfifo /tmp/cal-nap
    exec 4<> /tmp/cal-nap
    case "$1" in
    balloon.[0-9]*) cal_balloon "${1#balloon.}" ;;
    report.[0-9]*) cal_report "${1#report.}" ;;
    esac
    exec 4<&-
}
