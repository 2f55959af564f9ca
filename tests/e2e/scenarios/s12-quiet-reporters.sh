#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s12-quiet-reporters: guests whose reporters write only on change (q1 in
# XenServer's style, q2 in Qubes' style; guest/quiet-reporter.sh) keep a
# valid report past stats-max-age while they have nothing new to say:
# balloond shows their use, and their state is never no-stats.  Their first
# reports are no warning either: q2's memory/meminfo starts empty (no
# report yet), q1's two keys arrive one at a time.  q2's report has no
# total: available shows as null, never 0.  Arguments: q1 q2.
# e2e-timeout: 150
# e2e-needs-guests
. /e2e/lib.sh
X=${1:-q1} Q=${2:-q2}
need_bins balloond balloonctl
ensure_balloond
AGE=15
bd_conf "stats-max-age=${AGE}s"
grep -q "^stats-max-age = ${AGE}s" "$BD_CONF" || fail "bd_conf did not set stats-max-age"
bctl reload || fail "balloonctl reload (stats-max-age = ${AGE}s) failed"
restore() { bd_conf; bctl reload >/dev/null 2>&1; }
trap restore EXIT

reports() { snap && [ "$(sf $X used_kib)" != null ] && [ "$(sf $Q used_kib)" != null ]; }
wait_until 60 reports || fail "no reports shown: $X used $(sf $X used_kib) ($(sf $X reason)), $Q used $(sf $Q used_kib) ($(sf $Q reason))"
note "$X: used $(sf $X used_kib) available $(sf $X available_kib); $Q: used $(sf $Q used_kib) available $(sf $Q available_kib)"
[ "$(sf $Q available_kib)" = null ] || fail "$Q (one number, no total) shows available $(sf $Q available_kib), expected null"
[ "$(sf $X available_kib)" != null ] || fail "$X shows no available memory"

# Watch the report keys; pass once no key was written for AGE + 8 s and
# both guests still count as reporting.
watch_start xt "$(xs_dom $X)/data/meminfo_total"
watch_start xf "$(xs_dom $X)/data/meminfo_free"
watch_start qm "$(xs_dom $Q)/memory/meminfo"
t_start=$(now_s)
last_write() {
    cat /tmp/watch.xt /tmp/watch.xf /tmp/watch.qm |
        awk -v t="$t_start" 'NR > 0 && $1 > t { t = $1 } END { print t }'
}
quiet_long() {
    awk -v a="$(last_write)" -v b="$(now_s)" -v g=$((AGE + 8)) 'BEGIN { exit !(b - a >= g) }'
}
ok=0
end=$(( $(now_int) + 100 ))
while [ "$(now_int)" -lt $end ]; do
    snap || continue
    for d in $X $Q; do
        st=$(sf $d state)
        if [ "$st" = no-stats ] && awk -v a="$(last_write)" -v b="$(now_s)" -v g=$AGE 'BEGIN { exit !(b - a > g + 2) }'; then
            fail "$d is no-stats $(awk -v a="$(last_write)" -v b="$(now_s)" 'BEGIN { printf "%d", b - a }') s after its last report write: $(sf $d reason)"
        fi
    done
    if quiet_long; then ok=1; break; fi
    sleep 2
done
writes=$(( $(watch_count xt) + $(watch_count xf) + $(watch_count qm) ))
[ $ok = 1 ] || fail "the reporters were never quiet for $((AGE + 8)) s ($writes key writes)"
snap
for d in $X $Q; do
    [ "$(sf $d used_kib)" != null ] || fail "$d lost its report after $((AGE + 8)) quiet seconds (state $(sf $d state))"
    note "$d after $((AGE + 8)) quiet s: state $(sf $d state), used $(sf $d used_kib), target $(sf $d target_kib): $(sf $d reason)"
done
metric quiet_report_writes "$writes"
grep -E "domain ($X|$Q) .*ignoring its memory report" "$BD_LOG" &&
    fail "balloond warned about a quiet reporter's keys"
exit 0
