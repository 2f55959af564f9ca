#!/bin/sh
# demo-sim.sh - `make demo HOST=sim`: balloond on a simulated host
# (--host=sim:SCENARIO, default basic: three VMs whose demand rises and falls
# out of phase), with `balloonctl show` printed every few seconds.  Needs no
# Xen, no QEMU and no root: the socket and state live in a temporary
# directory.  Ends after DEMO_SECONDS (default 120), or runs until Ctrl-C
# with DEMO_FOREVER=1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILDDIR:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
balloond=$build/daemon/balloond
balloonctl=$build/cli/balloonctl
scenario=${DEMO_SCENARIO:-basic}
secs=${DEMO_SECONDS:-120}
every=${DEMO_EVERY:-5}

for b in "$balloond" "$balloonctl"; do
    [ -x "$b" ] || { echo "demo: $b is not built (make $b)" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/balloond-demo.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$tmp/balloond.conf" <<CONF
# demo: decisions every second, shrinking after 20 s of calm
[host]
interval = 1s
[policy]
shrink-delay = 20s
[control]
socket = $tmp/control
state-file = $tmp/state
CONF

"$balloond" --config "$tmp/balloond.conf" --host "sim:$scenario" \
    > "$tmp/balloond.log" 2>&1 &
pid=$!
i=0
until "$balloonctl" --socket "$tmp/control" status > /dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 50 ] || ! kill -0 $pid 2>/dev/null; then
        echo "demo: balloond did not start:" >&2
        cat "$tmp/balloond.log" >&2
        exit 1
    fi
    sleep 0.2
done
echo "demo: balloond --host sim:$scenario (log: $tmp/balloond.log)"
"$balloonctl" --socket "$tmp/control" status
start=$(date +%s)
while :; do
    el=$(( $(date +%s) - start ))
    echo
    echo "=== t+${el}s ==="
    "$balloonctl" --socket "$tmp/control" show || { echo "demo: balloonctl show failed"; exit 1; }
    [ "${DEMO_FOREVER:-0}" = 1 ] || [ $el -lt "$secs" ] || break
    sleep "$every"
done
echo
echo "=== summary after ${el}s ==="
"$balloonctl" --socket "$tmp/control" status
"$balloonctl" --socket "$tmp/control" metrics 2>/dev/null |
    grep -E '^balloond_(target_writes|rebalances|errors)' || true
echo "balloond log: $(wc -l < "$tmp/balloond.log") lines, $(grep -c '^<[0-3]>' "$tmp/balloond.log") errors"
