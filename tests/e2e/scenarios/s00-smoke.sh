#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s00-smoke: the testbed itself works, balloond not involved.
# xl list shows dom0 and g1; `xl mem-set` moves g1's memory down and back up
# above its boot size (the guest's balloon driver answers), and the guest's
# hog really allocates.
# e2e-timeout: 90
# e2e-needs-guests
. /e2e/lib.sh

xl list | grep -q '^Domain-0 ' || fail "xl list has no Domain-0"
dom_exists g1 || fail "g1 is not running"
[ "$(xl_mem_mib g1)" -ge 250 ] || fail "g1 has $(xl_mem_mib g1) MiB, expected ~256"

mem_near() { _m=$(xl_mem_mib $1); [ $_m -ge $(($2 - 2)) ] && [ $_m -le $(($2 + 1)) ]; }
hog_is() { [ "$(hog_have $1)" = "$2" ]; }

for m in 200 400 256; do
    t0=$(now_s)
    xl mem-set g1 ${m}m || fail "xl mem-set g1 ${m}m"
    [ "$(xs_target_kib g1)" = $((m * 1024)) ] ||
        fail "memory/target is $(xs_target_kib g1), expected $((m * 1024))"
    # current within 2 MiB of the target (the kernel keeps a few pages)
    wait_until 30 mem_near g1 $m ||
        fail "g1 did not reach $m MiB: xl list says $(xl_mem_mib g1)"
    ms=$(elapsed_ms "$t0")
    note "mem-set $m MiB reached in $ms ms"
    metric "smoke_memset_${m}_ms" "$ms"
done

# xl mem-set also set g1's maxmem to target + 1 MiB: give it back its 512 MiB
# so later scenarios can grow it.
xl mem-max g1 512m || fail "xl mem-max g1 512m"

hog g1 64
wait_until 30 hog_at_least g1 64 || fail "g1's hog holds $(hog_have g1) MiB, asked 64"
hog g1 0
wait_until 10 hog_is g1 0 || fail "g1's hog did not free"
exit 0
