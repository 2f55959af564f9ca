#!/bin/sh
# s05-set-auto: `balloonctl set` pins a target, held against the policy
# (the guest's hog then asks for more than the pin: the target stays);
# `balloonctl auto` releases it (the same demand now grows the target); bad
# input gets the documented exit codes (2 usage, 1 failed).
# e2e-timeout: 120
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond

bctl set g3 300 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "'balloonctl set g3 300' (no unit) exited $rc, expected 2"
bctl set no-such-domain 300M 2>/dev/null; rc=$?
[ $rc = 1 ] || fail "'balloonctl set no-such-domain 300M' exited $rc, expected 1"

t0=$(now_s)
bctl set g3 300M || fail "balloonctl set g3 300M failed (rc=$?)"
tgt_is() { [ "$(xs_target_kib g3)" = "$1" ]; }
wait_until 15 tgt_is 307200 || fail "g3 memory/target is $(xs_target_kib g3), expected 307200 after set"
near300() { m=$(xl_mem_mib g3); [ $m -ge 297 ] && [ $m -le 301 ]; }
wait_until 30 near300 || fail "g3 did not reach 300 MiB: xl list $(xl_mem_mib g3)"
metric set_to_current_ms "$(elapsed_ms "$t0")"
snap_is g3 state pinned || fail "show says g3 state '$(sf g3 state)', expected pinned"
# Demand above the pin: the hog fills what the guest has, so the guest
# needs more than 300 MiB; the pin must hold anyway.
hog g3 260
hogged() { [ "$(hog_have g3)" -ge 150 ]; }
wait_until 40 hogged || { hog g3 0; fail "g3's hog holds only $(hog_have g3) MiB"; }
sleep 8
tgt_is 307200 || { hog g3 0; fail "pin not held: g3 target $(xs_target_kib g3) KiB under demand"; }
snap
note "pinned under demand: g3 uses $(sf g3 used_kib) KiB, target stays 307200"

bctl auto g3 || { hog g3 0; fail "balloonctl auto g3 failed (rc=$?)"; }
t0=$(now_s)
not_pinned() { snap && [ "$(sf g3 state)" != pinned ]; }
wait_until 10 not_pinned || { hog g3 0; fail "g3 still pinned after auto"; }
higher() { [ "$(xs_target_kib g3)" -gt 307200 ]; }
wait_until 40 higher || { hog g3 0; fail "g3 target still $(xs_target_kib g3) KiB 40 s after auto, its hog waiting for memory"; }
metric auto_to_grow_ms "$(elapsed_ms "$t0")"
note "after auto: g3 target $(xs_target_kib g3) KiB"
hog g3 0
exit 0
