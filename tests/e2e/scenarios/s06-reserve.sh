#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s06-reserve: with xl's autoballoon off, a guest bigger than the host's
# free memory fails to start; `balloonctl reserve` makes balloond free that
# much (shrinking the others), and then the same `xl create` succeeds.
# All guests are pinned while the failing attempt runs so that nothing frees
# memory behind the test's back.  Arguments: the two guests pinned big
# (g1 g2; the second may be "-"); every other guest is pinned where it is.
# e2e-timeout: 200
# e2e-needs-guests
. /e2e/lib.sh
B1=${1:-g1} B2=${2:-g2}
need_bins balloond balloonctl
ensure_balloond
grep -q '^autoballoon="off"' /etc/xen/xl.conf || fail "xl.conf lacks autoballoon=\"off\""

xl_snap
GUESTS=$(awk 'NR > 1 && $1 != "Domain-0" { print $1 }' /tmp/xl.txt)
cleanup() {
    xl destroy gnew 2>/dev/null
    for d in $GUESTS; do bctl auto $d 2>/dev/null; done
}
bctl set $B1 448M || { cleanup; fail "balloonctl set $B1 failed"; }
[ "$B2" = - ] || bctl set $B2 448M || { cleanup; fail "balloonctl set $B2 failed"; }
for d in $GUESTS; do
    [ $d = $B1 ] || [ $d = $B2 ] || bctl set $d "$(xm $d)M" ||
        { cleanup; fail "balloonctl set $d failed"; }
done
big() { xl_snap; [ "$(xm $B1)" -ge 440 ] && { [ "$B2" = - ] || [ "$(xm $B2)" -ge 440 ]; }; }
wait_until 60 big || { cleanup; fail "$B1/$B2 did not reach 448 MiB: $(xm $B1) / $(xm $B2)"; }
sleep 2
free=$(host_free_mib)
need=$((free + 96))
note "host free ${free} MiB; new guest gnew of ${need} MiB"
mkcfg() {
    sed -e 's/^name = .*/name = "gnew"/' -e "s/^memory = .*/memory = $need/" \
        -e "s/^maxmem = .*/maxmem = $need/" \
        -e 's/^extra = "\(.*\)"/extra = "\1 e2e.agent=0"/' /e2e/guests/g1.cfg > /tmp/gnew.cfg
}
mkcfg
if timeout 120 xl create /tmp/gnew.cfg > /tmp/gnew1.log 2>&1; then
    cat /tmp/gnew1.log
    cleanup
    fail "xl create of ${need} MiB with ${free} MiB free succeeded without a reserve"
fi
note "without a reserve: xl create failed as expected ($(grep -m1 -i -E 'error|fail' /tmp/gnew1.log))"
dom_exists gnew && { xl destroy gnew; cleanup; fail "a failed xl create left gnew behind"; }

for d in $GUESTS; do bctl auto $d || { cleanup; fail "balloonctl auto $d failed"; }; done
t0=$(now_s)
timeout 120 "$BALLOONCTL" reserve $((need + 32))M --timeout 90s > /tmp/reserve.out 2>&1; rc=$?
cat /tmp/reserve.out
[ $rc = 0 ] || { cleanup; fail "balloonctl reserve $((need + 32))M exited $rc"; }
metric reserve_ms "$(elapsed_ms "$t0")"
free2=$(host_free_mib)
note "after reserve: host free ${free2} MiB"
[ "$free2" -ge $((need + 32)) ] || { cleanup; fail "reserve returned with only ${free2} MiB free, asked $((need + 32))"; }
t0=$(now_s)
timeout 120 xl create /tmp/gnew.cfg > /tmp/gnew2.log 2>&1 ||
    { cat /tmp/gnew2.log; cleanup; fail "xl create after the reserve failed"; }
metric reserve_create_ms "$(elapsed_ms "$t0")"
xl list
xl destroy gnew || fail "xl destroy gnew"
cleanup
exit 0
