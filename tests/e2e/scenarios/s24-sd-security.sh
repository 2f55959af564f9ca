#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s24-sd-security (systemd dom0): `systemd-analyze security balloond` on
# the shipped unit gives the overall exposure README.md states (overlay.sh
# copies that figure to /e2e/security.expected).  The exposed settings
# (the lines marked with a cross) are printed for the log.
# e2e-timeout: 60
. /e2e/lib.sh
need_bins balloond
want=$(cat /e2e/security.expected 2>/dev/null)
systemd-analyze security --no-pager $BD_UNIT > /tmp/security.txt 2>&1
grep -a '✗' /tmp/security.txt | sed 's/^/  /'
got=$(sed -n 's/.*Overall exposure level for balloond.service: \([0-9.]* [A-Z]*\).*/\1/p' /tmp/security.txt)
note "overall exposure: $got (README.md: $want)"
metric sd_security_exposure "$(echo "$got" | tr ' ' _)"
[ -n "$got" ] || fail "no overall exposure level: $(tail -n 5 /tmp/security.txt)"
[ -n "$want" ] || fail "README.md states no exposure figure for systemd-analyze security balloond"
[ "$got" = "$want" ] || fail "exposure $got, README.md states $want"
exit 0
