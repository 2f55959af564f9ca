#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s08-hotplug-clip: a guest booted below its maxmem (gc: 256 of 512 MiB) is
# grown above its boot size when it needs memory; its kernel is limited to
# 320 MiB (mem=320M, hot-added memory left offline), so a higher target
# clips: balloond must notice (state clipped) and stop asking.
# e2e-timeout: 200
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl balloon-agent
ensure_balloond
dom_exists gc || fail "gc is not running"

t0=$(now_s)
hog gc 200
above() { [ "$(xl_mem_mib gc)" -ge 270 ]; }
wait_until 90 above || { hog gc 0; fail "gc not grown above its 256 MiB boot size: xl list $(xl_mem_mib gc) MiB, target $(xs_target_kib gc), hog $(hog_have gc)"; }
metric grow_above_boot_ms "$(elapsed_ms "$t0")"
note "gc grown to $(xl_mem_mib gc) MiB (boot 256)"

hog gc 330
watch_targets_start gc
clipped() { snap && [ "$(sf gc state)" = clipped ]; }
if ! wait_until 120 clipped; then
    watch_targets_stop gc
    hog gc 0
    fail "gc not reported clipped: state $(sf gc state) ($(sf gc reason)), target $(xs_target_kib gc), xl list $(xl_mem_mib gc) MiB"
fi
t_clip=$(now_s)
metric clip_detect_ms "$(elapsed_ms "$t0")"
note "gc clipped: $(sf gc reason); target $(xs_target_kib gc), xl list $(xl_mem_mib gc) MiB"
sleep 20
watch_targets_stop gc
after=$(watch_count tgt.gc "$t_clip")
note "gc target writes: $(watch_count tgt.gc) in all, $after in the 20 s after clipped"
hog gc 0
[ "$after" -le 1 ] || fail "$after target writes to gc after it was declared clipped"
t=$(xs_target_kib gc)
[ "$t" -le $((512 * 1024)) ] || fail "gc target $t above its maxmem"
exit 0
