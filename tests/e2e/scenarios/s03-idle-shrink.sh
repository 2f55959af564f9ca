#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s03-idle-shrink: an idle guest with room to spare shrinks toward its floor
# and never below its configured min (g2: min = 160M in the test config).
# Target and xl list are sampled every second.  With share-spare = yes (the
# default) balloond hands memory nobody needs to the guests instead, so the
# scenario runs with share-spare = no: spare memory stays free on the host.
# "Toward its floor": balloond keeps a steady guest's target anywhere in a
# band of [want, want * 1.25 + hysteresis] (policy.c, stickiness), so the
# test accepts up to 1.25 * min + 8M (208 MiB for g2) and requires that it
# never goes below min.  Argument: the guest (g2; its config has min = 160M).
# e2e-timeout: 150
# e2e-needs-guests
. /e2e/lib.sh
G=${1:-g2}
need_bins balloond balloonctl balloon-agent
ensure_balloond
MIN_KIB=163840
bd_conf share-spare=no
bctl reload || fail "balloonctl reload (share-spare = no) failed"
restore() { bd_conf; bctl reload >/dev/null 2>&1; }
trap restore EXIT

hog_idle $G
# Give $G something to give back: pin it high, then release it.
bctl set $G 400M || fail "balloonctl set $G 400M failed (rc=$?)"
at400() { [ "$(xl_mem_mib $G)" -ge 395 ]; }
wait_until 40 at400 || fail "$G did not reach 400 MiB after set: $(xl_mem_mib $G)"
t0=$(now_s)
bctl auto $G || fail "balloonctl auto $G failed (rc=$?)"
sampler_start s03 1 sh -c ". /e2e/lib.sh; xs_target_kib $G; xl_mem_mib $G"
BAND_KIB=$((MIN_KIB * 5 / 4 + 8 * 1024))
floor() { t=$(xs_target_kib $G); [ "$t" -le $BAND_KIB ]; }
ok=1
wait_until 90 floor || ok=0
# and it stays there, not below: keep sampling a while
sleep 8
sampler_stop s03
metric idle_shrink_ms "$(elapsed_ms "$t0")"
awk '{ print $2, $3 }' /tmp/sample.s03 | tr '\n' ';' | sed 's/^/target_kib mem_mib: /'; echo
[ $ok = 1 ] || fail "$G target $(xs_target_kib $G) KiB 90 s after auto, expected <= $BAND_KIB (1.25 * min + hysteresis; idle guest)"
lo_t=$(awk 'NF >= 2 { if (m == "" || $2 < m) m = $2 } END { print m }' /tmp/sample.s03)
lo_m=$(awk 'NF >= 3 { if (m == "" || $3 < m) m = $3 } END { print m }' /tmp/sample.s03)
[ "$lo_t" -ge $MIN_KIB ] || fail "$G target went to $lo_t KiB, below its min $MIN_KIB"
[ "$lo_m" -ge 158 ] || fail "$G memory went to $lo_m MiB, below its min 160"
snap && [ "$(sf $G min_kib)" = $MIN_KIB ] || fail "show says $G min_kib $(sf $G min_kib), config 160M"
exit 0
