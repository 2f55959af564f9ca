#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s13-rename: after `xl rename`, balloond follows the domain: show lists the
# new name with the same domid, a [domain] rule that matches only the new
# name applies (*-renamed: weight 250), `balloonctl set NEW` works and
# `balloonctl set OLD` fails.  The name is given back at the end.
# Argument: the guest (q1).
# e2e-timeout: 90
# e2e-needs-guests
. /e2e/lib.sh
G=${1:-q1}
N=$G-renamed
need_bins balloond balloonctl
ensure_balloond
id=$(domid $G) || fail "$G is not running"
snap
w0=$(sf $G weight)
restore() { bctl auto $N >/dev/null 2>&1; xl rename $N $G 2>/dev/null; }
t0=$(now_s)
xl rename $G $N || fail "xl rename $G $N failed"
renamed() { snap && [ "$(sf $N domid)" = "$id" ]; }
wait_until 20 renamed || { restore; fail "show does not list $N (domid $id): $(cut -f1,2 /tmp/snap | tr '\n' ' ')"; }
metric rename_seen_ms "$(elapsed_ms "$t0")"
[ -z "$(sf $G domid)" ] || { restore; fail "show still lists $G"; }
[ "$(sf $N weight)" = 250 ] || { restore; fail "$N has weight $(sf $N weight) (was $w0 as $G), expected 250 from [domain *-renamed]"; }
bctl set $G 300M 2>/dev/null; rc=$?
[ $rc = 1 ] || { restore; fail "'balloonctl set $G' after the rename exited $rc, expected 1"; }
bctl set $N 300M || { restore; fail "'balloonctl set $N 300M' failed (rc=$?)"; }
tgt() { [ "$(xenstore-read /local/domain/$id/memory/target)" = 307200 ]; }
wait_until 15 tgt || { restore; fail "target of $N not 300M after set: $(xenstore-read /local/domain/$id/memory/target)"; }
bctl auto $N || { restore; fail "balloonctl auto $N failed"; }
xl rename $N $G || fail "xl rename $N $G failed"
back() { snap && [ "$(sf $G domid)" = "$id" ] && [ "$(sf $G weight)" = "$w0" ]; }
wait_until 20 back || fail "after renaming back, show has $G: domid $(sf $G domid) weight $(sf $G weight)"
grep "renamed to" "$BD_LOG" | tail -n 2
exit 0
