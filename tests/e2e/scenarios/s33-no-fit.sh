#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s33-no-fit: a VM that truly cannot fit (more than the host could ever
# free without cutting a guest below its use) fails with one clear line,
# exit non-zero, leaves no reservation behind and no guest below its use;
# a `balloonctl reserve` that could only be met that way is refused too,
# naming who would be cut, unless --force.  Arguments: l1 l2.
# e2e-timeout: 180
# e2e-needs-guests
. /e2e/lib.sh
L1=${1:-l1} L2=${2:-l2}
need_bins balloond balloonctl balloon-agent
ensure_balloond
cleanup() { xl destroy n4 2>/dev/null; hog $L1 0; }
trap cleanup EXIT

# l1 uses a good part of what it holds: the host cannot give all of it away.
hog $L1 300
wait_until 60 hog_at_least $L1 250 || fail "$L1's hog did not reach 250 MiB"
total=$(host_total_mib)
newvm_cfg n4 $total
timeout 100 "$BALLOONCTL" create --timeout 20s /tmp/n4.cfg > /tmp/n4.out 2> /tmp/n4.err; rc=$?
cat /tmp/n4.out /tmp/n4.err
[ $rc != 0 ] || fail "balloonctl create of ${total} MiB succeeded"
[ "$(wc -l < /tmp/n4.err)" -ge 1 ] || fail "no reason given on stderr"
dom_exists n4 && fail "n4 exists after a refused start"
"$BALLOONCTL" status --json | jq -e '.reserved_kib == 0' >/dev/null ||
    fail "a reservation was left behind"

# Just beyond what can be freed above the guests' use (capacity after
# reclaim), within what cutting them to their minimums would free: the
# hog makes l1's use 300 MiB above its minimum.
reclaim=$("$BALLOONCTL" capacity --json | jq -r .capacity_reclaim_kib)
size=$((reclaim / 1024 + 100))
timeout 60 "$BALLOONCTL" reserve ${size}M --timeout 10s > /tmp/r.out 2> /tmp/r.err; rc=$?
cat /tmp/r.out /tmp/r.err
[ $rc != 0 ] || fail "balloonctl reserve ${size}M (reclaimable $((reclaim / 1024)) MiB) cut guests without --force"
grep -q "below their use" /tmp/r.err || fail "the refusal does not say it would cut below use"
grep -q "$L1" /tmp/r.err || fail "the refusal does not name $L1"
none_below_use $L1 $L2
exit 0
