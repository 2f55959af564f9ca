#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s05-set-auto: `balloonctl set` pins a target, held against the policy
# (the guest's hog then asks for more than the pin: the target stays);
# `balloonctl auto` releases it (the same demand now grows the target); bad
# input gets the documented exit codes (2 usage, 1 failed).  Argument: the
# guest (g3).
# e2e-timeout: 120
# e2e-needs-guests
. /e2e/lib.sh
G=${1:-g3}
need_bins balloond balloonctl
ensure_balloond
hog_idle $G

bctl set $G 300 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "'balloonctl set $G 300' (no unit) exited $rc, expected 2"
bctl set no-such-domain 300M 2>/dev/null; rc=$?
[ $rc = 1 ] || fail "'balloonctl set no-such-domain 300M' exited $rc, expected 1"

t0=$(now_s)
bctl set $G 300M || fail "balloonctl set $G 300M failed (rc=$?)"
tgt_is() { [ "$(xs_target_kib $G)" = "$1" ]; }
wait_until 15 tgt_is 307200 || fail "$G memory/target is $(xs_target_kib $G), expected 307200 after set"
near300() { m=$(xl_mem_mib $G); [ $m -ge 297 ] && [ $m -le 301 ]; }
wait_until 30 near300 || fail "$G did not reach 300 MiB: xl list $(xl_mem_mib $G)"
metric set_to_current_ms "$(elapsed_ms "$t0")"
snap_is $G state pinned || fail "show says $G state '$(sf $G state)', expected pinned"
# Demand above the pin: the hog fills what the guest has, so the guest
# needs more than 300 MiB; the pin must hold anyway.
hog $G 260
hogged() { [ "$(hog_have $G)" -ge 150 ]; }
wait_until 40 hogged || { hog $G 0; fail "$G's hog holds only $(hog_have $G) MiB"; }
sleep 8
tgt_is 307200 || { hog $G 0; fail "pin not held: $G target $(xs_target_kib $G) KiB under demand"; }
snap
note "pinned under demand: $G uses $(sf $G used_kib) KiB, target stays 307200"

bctl auto $G || { hog $G 0; fail "balloonctl auto $G failed (rc=$?)"; }
t0=$(now_s)
not_pinned() { snap && [ "$(sf $G state)" != pinned ]; }
wait_until 10 not_pinned || { hog $G 0; fail "$G still pinned after auto"; }
higher() { [ "$(xs_target_kib $G)" -gt 307200 ]; }
wait_until 40 higher || { hog $G 0; fail "$G target still $(xs_target_kib $G) KiB 40 s after auto, its hog waiting for memory"; }
metric auto_to_grow_ms "$(elapsed_ms "$t0")"
note "after auto: $G target $(xs_target_kib $G) KiB"
hog $G 0
exit 0
