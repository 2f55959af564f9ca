#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s31-create-big: a guest larger than the start pool, while the spare
# memory is lent: a plain `xl create` fails (as it would without balloond
# on a host this full), `balloonctl create CFG` asks balloond for what xl
# will need (Xen's per-domain overhead counted), runs xl create and
# succeeds; no guest goes below what it uses and no reservation is left
# once the domain took it.  Arguments: l1 l2.
# e2e-timeout: 240
# e2e-needs-guests
. /e2e/lib.sh
L1=${1:-l1} L2=${2:-l2}
POOL=320 RESERVE=128
need_bins balloond balloonctl balloon-agent
use_pool $POOL
trap 'xl destroy n2 2>/dev/null' EXIT

# What an earlier start freed again (a guest destroyed) stays free: balloond
# does not re-lend it while the lenders sit within their sticky band
# (half their share and more), so only what the lenders hold is checked.
wait_until 120 lent $L1 $L2 4096 ||
    fail "spare memory not lent: free $(host_free_mib) MiB, $L1 $(xm $L1), $L2 $(xm $L2)"
free0=$(host_free_mib)
size=$((free0 + 160))
newvm_cfg n2 $size
note "host free ${free0} MiB; n2 of ${size} MiB"
if timeout 120 xl create /tmp/n2.cfg > /tmp/n2a.log 2>&1; then
    fail "plain xl create of ${size} MiB with ${free0} MiB free succeeded"
fi
dom_exists n2 && fail "a failed xl create left n2 behind"

t0=$(now_s)
timeout 150 "$BALLOONCTL" create --timeout 90s /tmp/n2.cfg > /tmp/n2b.log 2>&1; rc=$?
cat /tmp/n2b.log
[ $rc = 0 ] || fail "balloonctl create /tmp/n2.cfg exited $rc"
metric create_big_ms "$(elapsed_ms "$t0")"
dom_exists n2 || fail "balloonctl create returned 0 but n2 does not exist"
grep -qi "need" /tmp/n2b.log || fail "balloonctl create did not say what it reserved"
none_below_use $L1 $L2
xl destroy n2 || fail "xl destroy n2"
reserved_none() { [ "$("$BALLOONCTL" status --json | jq -r .reserved_kib)" = 0 ]; }
wait_until 20 reserved_none ||
    fail "a reservation was left behind: $("$BALLOONCTL" status --json | jq -c .reserved_kib)"
exit 0
