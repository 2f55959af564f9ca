#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s10-destroy: a domain destroyed in the middle of a rebalance: balloond
# does not crash, keeps answering, drops the domain, and does not spam its
# log with errors.
# e2e-timeout: 90
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond
dom_exists g3 || fail "g3 is not running"

hog g1 120
hog g3 100
sleep 3
l0=$(bd_log_lines)
xl destroy g3 || fail "xl destroy g3 failed"
t0=$(now_s)
gone() { snap && ! grep -q "^g3	" /tmp/snap; }
wait_until 20 gone || fail "g3 still in balloonctl show 20 s after destroy"
metric destroy_forget_ms "$(elapsed_ms "$t0")"
sleep 5
bd_alive || fail "balloond died after the destroy"
bctl show > /dev/null || fail "balloonctl show failed after the destroy"
tail -n +$((l0 + 1)) "$BD_LOG" > /tmp/s10.log
errs=$(grep -c '^<[0-3]>' /tmp/s10.log)
lines=$(wc -l < /tmp/s10.log)
note "balloond log after the destroy: $lines lines, $errs errors"
cat /tmp/s10.log | head -n 20
hog g1 0
[ "$errs" -le 3 ] || fail "$errs error lines after one destroy"
[ "$lines" -le 40 ] || fail "$lines log lines in ~10 s after one destroy"
exit 0
