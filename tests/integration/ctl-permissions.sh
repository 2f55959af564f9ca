#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ctl-permissions.sh - who may talk to balloond: a user who is neither root
# nor in the control group is refused (cannot even connect by default; only
# read-only commands with allow-readonly), a member of the group may change
# things.  Needs root (to become uid 65534); skipped otherwise.
. "$(dirname "$0")/lib.inc"

if [ "$(id -u)" -ne 0 ]; then
    echo "$NAME: skipped (needs root)"
    exit 0
fi
command -v setpriv > /dev/null || fail "setpriv (util-linux) is needed"
nogroup=$(getent group 65534 | cut -d: -f1)
[ -n "$nogroup" ] || fail "no group with gid 65534"

# as_nobody CMD...: run as uid 65534, gid 65534, no supplementary groups.
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
# as_stranger CMD...: uid 65534 with gid 65533 (in no relevant group).
as_stranger() {
    setpriv --reuid=65534 --regid=65533 --clear-groups "$@"
}

# 1. Default (no group, no allow-readonly): socket 0600 root; refused.
start_daemon basic
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode $(stat -c %a "$SOCK")"
expect 3 as_nobody "$BALLOONCTL" --socket "$SOCK" status
has "$err" "Permission denied; run as root or as a member of the group"
one_line "$err"
expect 3 as_nobody "$BALLOONCTL" --socket "$SOCK" set vm-a 2G
expect 0 ctl status
stop_daemon

# 2. allow-readonly: anyone may look, nobody but root may change.
start_daemon basic "allow-readonly = yes"
[ "$(stat -c %a "$SOCK")" = 666 ] || fail "socket mode $(stat -c %a "$SOCK")"
expect 0 as_stranger "$BALLOONCTL" --socket "$SOCK" status
expect 0 as_stranger "$BALLOONCTL" --socket "$SOCK" show vm-a
has "$out" "^vm-a "
expect 0 as_stranger "$BALLOONCTL" --socket "$SOCK" metrics
for c in "set vm-a 2G" "auto vm-a" "limits vm-a --weight 5" "reserve 64M" \
         "release 1" "reload"; do
    # shellcheck disable=SC2086
    expect 1 as_stranger "$BALLOONCTL" --socket "$SOCK" $c
    has "$err" "permission denied: '${c%% *}' needs root"
    one_line "$err"
done
expect 0 ctl show --json vm-a
hasnt "$out" '"state":"pinned"'
has "$out" '"weight":100'
grep -q "client pid [0-9]* uid 65534: permission denied" "$T/log" \
    || fail "refusal not logged"
stop_daemon

# 3. group = nogroup: its members may change things, others may not.
start_daemon basic "group = $nogroup"
[ "$(stat -c %a:%g "$SOCK")" = 660:65534 ] || fail "socket $(stat -c %a:%g "$SOCK")"
expect 0 as_nobody "$BALLOONCTL" --socket "$SOCK" set vm-a 2G
has "$out" "pinned at 2.00G"
expect 0 as_nobody "$BALLOONCTL" --socket "$SOCK" auto vm-a
# In the group only as a supplementary group: also allowed.
expect 0 setpriv --reuid=65534 --regid=65533 --groups=65534 \
    "$BALLOONCTL" --socket "$SOCK" limits vm-b --weight 50
expect 3 as_stranger "$BALLOONCTL" --socket "$SOCK" status
has "$err" "Permission denied"
alive
echo "$NAME: ok"
