#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s01-start: balloond starts in dom0 (no systemd, so no sd_notify socket)
# and `balloonctl show` lists Domain-0 and every guest with the domid and
# current memory `xl list` reports (within 2 MiB: both read a moving value).
# e2e-timeout: 90
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl

t0=$(now_s)
start_balloond || fail "balloond did not answer 'balloonctl show --json' within 30 s"
metric balloond_ready_ms "$(elapsed_ms "$t0")"
bctl status > /tmp/status.txt || fail "balloonctl status failed (rc=$?)"

compare() {
    snap || { echo "show --json failed: $(cat /tmp/bctl.err)"; return 1; }
    xl_snap
    _ok=0
    nxl=0
    while read -r name id mem _; do
        [ "$name" = Name ] && continue
        nxl=$((nxl + 1))
        cur=$(sf "$name" current_kib)
        sid=$(sf "$name" domid)
        if [ -z "$cur" ]; then echo "$name ($id) missing from show"; _ok=1; continue; fi
        [ "$sid" = "$id" ] || { echo "$name: show domid $sid, xl $id"; _ok=1; }
        d=$(( cur / 1024 - mem ))
        [ ${d#-} -le 2 ] || { echo "$name: show current ${cur} KiB, xl list ${mem} MiB"; _ok=1; }
    done < /tmp/xl.txt
    nshow=$(wc -l < /tmp/snap)
    [ "$nshow" = "$nxl" ] || { echo "show lists $nshow domains, xl list $nxl"; _ok=1; }
    return $_ok
}
tries=0
until compare > /tmp/s01.why; do
    tries=$((tries + 1))
    [ $tries -lt 4 ] || { cat /tmp/s01.why; cat /tmp/xl.txt /tmp/snap; fail "show does not match xl list"; }
    sleep 2
done
cat /tmp/snap
bctl show > /tmp/show.txt || fail "balloonctl show (table) failed"
for d in Domain-0 g1 g2 g3; do
    dom_exists $d || continue
    grep -q "$d" /tmp/show.txt || fail "'balloonctl show' table lacks $d"
done
exit 0
