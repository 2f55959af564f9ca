#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s32-save-restore: `xl save` of a guest while l1 and l2 hold lent memory,
# and a plain `xl restore` of it, which finds the start pool free and
# succeeds; the restored guest (a new domid) reports again within
# seconds, not a heartbeat later.  The saved guest is small: its image is
# written to dom0's RAM.  Arguments: l1 l2.
# e2e-timeout: 300
# e2e-needs-guests
. /e2e/lib.sh
L1=${1:-l1} L2=${2:-l2}
POOL=320 RESERVE=128
need_bins balloond balloonctl balloon-agent
use_pool $POOL
cleanup() { xl destroy n3 2>/dev/null; rm -f /tmp/n3.save; }
trap cleanup EXIT

newvm_cfg n3 128 1
create_guest n3 /tmp/n3.cfg || fail "n3 did not start"
reports() { snap && [ "$(sf n3 used_kib)" != null ] && [ -n "$(sf n3 used_kib)" ]; }
wait_until 60 reports || fail "n3 never reported"
id0=$(domid n3)
refilled() { [ "$(host_free_mib)" -ge $((RESERVE + POOL - 48)) ]; }
wait_until 60 refilled || fail "the pool did not refill after n3 started: free $(host_free_mib) MiB"
xl_snap; held0=$(( $(xm $L1) + $(xm $L2) ))
t0=$(now_s)
timeout 120 xl save n3 /tmp/n3.save > /tmp/n3s.log 2>&1 || { cat /tmp/n3s.log; fail "xl save n3 failed"; }
metric save_ms "$(elapsed_ms "$t0")"
note "saved n3 (domid $id0): $(du -m /tmp/n3.save | cut -f1) MiB image"

# Its memory is free again and the start pool is whole; what the save
# freed stays free unless a lender needs it (stickiness), so the lenders
# keep what they held (nothing is cut for the restore ahead of time) and
# nothing more is promised.  Whether they were cut in an earlier scenario
# (s31's big start) is not this test's business.
pool_whole() { xl_snap; refilled &&
    [ $(( $(xm $L1) + $(xm $L2) )) -ge $((held0 - 32)) ]; }
wait_until 90 pool_whole || fail "after the save: free $(host_free_mib) MiB (pool $POOL + reserve $RESERVE), $L1 $(xm $L1), $L2 $(xm $L2) (held $held0 before)"
note "pool whole: host free $(host_free_mib) MiB, $L1 $(xm $L1), $L2 $(xm $L2)"
t0=$(now_s)
timeout 120 xl restore /tmp/n3.save > /tmp/n3r.log 2>&1 || { cat /tmp/n3r.log; fail "plain xl restore failed with $(host_free_mib) MiB free"; }
metric restore_ms "$(elapsed_ms "$t0")"
id1=$(domid n3)
note "restored n3 as domid $id1"
t0=$(now_s)
reported_again() { snap && [ "$(sf n3 domid)" = "$id1" ] && [ "$(sf n3 used_kib)" != null ] && [ -n "$(sf n3 used_kib)" ]; }
wait_until 20 reported_again || fail "restored n3 (domid $id1) reports nothing after 20 s: state $(sf n3 state)"
metric restore_report_ms "$(elapsed_ms "$t0")"
exit 0
