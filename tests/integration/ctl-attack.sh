#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-attack.sh - a hostile local user against balloond's control socket
# (issue 14): with allow-readonly, uid 65534 runs ctl-attack (too many
# connections, 1 MiB and trickled lines, random bytes, deep nesting,
# invalid UTF-8, pipelined requests) for a few seconds, bounded in count
# and time, on the local Unix socket only.  Throughout, root's
# `balloonctl status` must answer within a second; afterwards balloond
# must still be alive and its memory (VmRSS) flat.  Needs root (to become
# uid 65534); skipped otherwise.
. "$(dirname "$0")/lib.inc"

ATTACK="$B/tests/integration/ctl-attack"
ATTACK_SECONDS=${ATTACK_SECONDS:-6}
# VmRSS may grow this much (KiB) over the attack: allocator noise, not a
# leak (a leak of even one reply per request would be megabytes).
RSS_SLACK_KIB=${RSS_SLACK_KIB:-3072}

if [ "$(id -u)" -ne 0 ]; then
    echo "$NAME: skipped (needs root)"
    exit 0
fi
command -v setpriv > /dev/null || fail "setpriv (util-linux) is needed"
[ -x "$ATTACK" ] || fail "$ATTACK not built"

rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"
}

ms() {
    echo $(($(date +%s%N) / 1000000))
}

# ASan keeps freed memory in quarantine: that is not growth.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
export ASAN_OPTIONS
start_daemon basic "allow-readonly = yes"

attack() {
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$ATTACK" "$SOCK" "$1" > "$T/attack.out" 2>&1
}

# A short first round warms the daemon up (buffers, allocator arenas).
attack 1 || { cat "$T/attack.out" >&2; fail "warm-up attack failed"; }
before=$(rss_kib)

attack "$ATTACK_SECONDS" &
apid=$!
checks=0
slowest=0
while kill -0 "$apid" 2>/dev/null; do
    t0=$(ms)
    expect 0 ctl status
    dt=$(($(ms) - t0))
    [ "$dt" -le 1000 ] || fail "root's status took $dt ms during the attack"
    [ "$dt" -le "$slowest" ] || slowest=$dt
    checks=$((checks + 1))
    sleep 0.2
done
wait "$apid" || { cat "$T/attack.out" >&2; fail "the attack found a problem"; }
cat "$T/attack.out"
[ "$checks" -ge 5 ] || fail "only $checks status checks during the attack"
alive
expect 0 ctl status
after=$(rss_kib)
echo "$NAME: $checks status checks, slowest $slowest ms; VmRSS $before -> $after KiB"
[ "$after" -le $((before + RSS_SLACK_KIB)) ] ||
    fail "VmRSS grew from $before to $after KiB"
echo "$NAME: ok"
