#!/bin/sh
# s31-create-big: a guest larger than the start pool, while the spare
# memory is lent: a plain `xl create` fails (as it would without balloond
# on a host this full), `balloonctl create CFG` asks balloond for what xl
# will need (Xen's per-domain overhead counted), runs xl create and
# succeeds; no guest goes below what it uses.  Arguments: l1 l2.
# e2e-timeout: 240
# e2e-needs-guests
. /e2e/lib.sh
L1=${1:-l1} L2=${2:-l2}
POOL=320 RESERVE=128
need_bins balloond balloonctl balloon-agent
bd_conf start-pool=${POOL}M
if bd_alive; then bctl reload || fail "balloonctl reload (start-pool) failed"; else ensure_balloond; fi
cleanup() { xl destroy n2 2>/dev/null; }
trap cleanup EXIT

lent() {
    xl_snap
    [ $(( $(xm $L1) + $(xm $L2) )) -ge 700 ] &&
        [ "$(host_free_mib)" -le $((RESERVE + POOL + 96)) ]
}
wait_until 120 lent || fail "spare memory not lent: free $(host_free_mib) MiB, $L1 $(xm $L1), $L2 $(xm $L2)"
free0=$(host_free_mib)
size=$((free0 + 160))
sed -e 's/^name = .*/name = "n2"/' -e "s/^memory = .*/memory = $size/" \
    -e "s/^maxmem = .*/maxmem = $size/" \
    -e 's/^extra = "\(.*\)"/extra = "\1 e2e.agent=0"/' /e2e/guests/g1.cfg > /tmp/n2.cfg
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

snap
xl_snap
for d in $L1 $L2; do
    u=$(sf $d used_kib)
    [ "$u" = null ] && continue
    [ $(( $(xm $d) * 1024 )) -ge "$u" ] || fail "$d at $(xm $d) MiB is below its use $((u / 1024)) MiB"
done
xl destroy n2 || fail "xl destroy n2"
# Nothing stays reserved once the domain took it.
wait_until 20 sh -c "\"$BALLOONCTL\" status --json | jq -e '.reserved_kib == 0'" ||
    fail "a reservation was left behind: $("$BALLOONCTL" status --json | jq -c .reserved_kib)"
exit 0
