#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s30-pool-create: balloond lends the host's spare memory to l1 and l2 but
# keeps the start pool free, so a plain `xl create` of a guest up to the
# pool's size succeeds with no balloonctl step; afterwards balloond takes
# lent memory back until the pool is free again, and no guest goes below
# what it uses.  Arguments: the two lenders (l1 l2).
# e2e-timeout: 240
# e2e-needs-guests
. /e2e/lib.sh
L1=${1:-l1} L2=${2:-l2}
POOL=320 RESERVE=128
need_bins balloond balloonctl balloon-agent
use_pool $POOL
trap 'xl destroy n1 2>/dev/null' EXIT

# The lenders take every MiB beyond reserve + pool (they could take more),
# and no more than that.
pooled() { lent $L1 $L2 $((RESERVE + POOL + 96)) && [ "$(host_free_mib)" -ge $((RESERVE + POOL - 48)) ]; }
wait_until 120 pooled || { snap; fail "spare memory not lent beyond the pool: free $(host_free_mib) MiB, $L1 $(xm $L1) MiB, $L2 $(xm $L2) MiB ($(sf $L1 reason))"; }
free0=$(host_free_mib)
note "lent: $L1 $(xm $L1) MiB, $L2 $(xm $L2) MiB, host free ${free0} MiB (reserve ${RESERVE} + pool ${POOL})"
bctl status | grep -i pool || fail "balloonctl status does not show the start pool"

# A plain xl create, as an admin who never heard of balloonctl would.
newvm_cfg n1 256
t0=$(now_s)
timeout 120 xl create /tmp/n1.cfg > /tmp/n1.log 2>&1 ||
    { cat /tmp/n1.log; fail "plain xl create of 256 MiB failed with ${free0} MiB free"; }
metric pool_create_ms "$(elapsed_ms "$t0")"
note "xl create n1 (256 MiB): ok, host free now $(host_free_mib) MiB"

# The pool refills from lent memory within seconds.
t0=$(now_s)
refilled() { [ "$(host_free_mib)" -ge $((RESERVE + POOL - 48)) ]; }
wait_until 60 refilled || { snap; fail "the pool did not refill in 60 s: free $(host_free_mib) MiB ($L1: $(sf $L1 reason))"; }
metric pool_refill_ms "$(elapsed_ms "$t0")"
note "pool refilled: host free $(host_free_mib) MiB after $(elapsed_ms "$t0") ms"
none_below_use $L1 $L2
xl destroy n1 || fail "xl destroy n1"
exit 0
