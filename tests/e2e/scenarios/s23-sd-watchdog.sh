#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s23-sd-watchdog (systemd dom0): through the scenarios since s22 (the
# pressure and hostile-guest ones in suite f), systemd's watchdog
# (WatchdogSec=30s) stayed quiet: no "Watchdog timeout" for balloond in
# the journal, the main PID and NRestarts as s22 left them, and balloond
# pinged the watchdog within its last 30 s.
# e2e-timeout: 60
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
[ -f /tmp/e2e-sd-after-kill ] || fail "s22 did not run (no main PID to compare with)"
read -r pid1 n1 < /tmp/e2e-sd-after-kill
wd=$(sd_prop WatchdogUSec)
[ "$wd" = 30s ] || fail "WatchdogUSec is '$wd', not the unit's 30s"
journalctl -q -u $BD_UNIT --no-pager -o cat > /tmp/journal.txt 2>&1
if grep -i 'watchdog timeout' /tmp/journal.txt; then fail "the watchdog fired"; fi
[ "$(bd_pid)" = "$pid1" ] || fail "balloond's main PID changed since s22: $pid1 -> $(bd_pid)"
[ "$(sd_prop NRestarts)" = "$n1" ] || fail "NRestarts changed since s22: $n1 -> $(sd_prop NRestarts)"
# The last ping, in CLOCK_MONOTONIC microseconds (as /proc/uptime, less
# than a second apart here).
last=$(sd_prop WatchdogTimestampMonotonic)
age=$(awk -v l="$last" -v u="$(now_s)" 'BEGIN { printf "%d", u * 1000 - l / 1000 }')
note "last watchdog ping ${age} ms ago"
metric sd_watchdog_ping_age_ms "$age"
[ "${last:-0}" -gt 0 ] && [ "$age" -le 30000 ] || fail "no watchdog ping in the last 30 s (last at $last us)"
exit 0
