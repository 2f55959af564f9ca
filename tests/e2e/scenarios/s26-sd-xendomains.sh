#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s26-sd-xendomains (systemd dom0): Debian's own xendomains (the SysV script
# of xen-utils-common, run by systemd as xendomains.service) starts the
# guests of /etc/xen/auto with plain `xl create`, as at boot.  balloond's
# unit is ordered after it, so balloond begins lending only once those
# guests are up: they start as they would without balloond.  The boot is
# replayed as one systemd transaction (both units started together, as
# multi-user.target does); the scenario checks that both auto guests run
# and that balloond was started only after xendomains had finished.
# e2e-timeout: 150
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
[ -d /run/systemd/system ] || skip "needs the systemd dom0"
[ -x /etc/init.d/xendomains ] || skip "no /etc/init.d/xendomains in this dom0"
cleanup() { for n in x1 x2; do xl destroy $n 2>/dev/null; rm -f /etc/xen/auto/$n.cfg; done; }
trap cleanup EXIT

for n in x1 x2; do newvm_cfg $n 160 && mv /tmp/$n.cfg /etc/xen/auto/; done
systemctl show -p After --value $BD_UNIT | grep -qw xendomains.service ||
    fail "balloond.service is not ordered after xendomains.service: After=$(systemctl show -p After --value $BD_UNIT)"
systemctl stop $BD_UNIT || fail "systemctl stop balloond failed"
t0=$(now_s)
timeout 120 systemctl start xendomains.service $BD_UNIT > /tmp/sd-start.log 2>&1 ||
    { cat /tmp/sd-start.log; systemctl --no-pager status xendomains.service | tail -n 15; fail "systemctl start xendomains balloond failed"; }
metric xendomains_start_ms "$(elapsed_ms "$t0")"
for n in x1 x2; do dom_exists $n || { journalctl -q --no-pager -u xendomains | tail -n 10; fail "xendomains did not start $n"; }; done
xd_up=$(systemctl show -p ActiveEnterTimestampMonotonic --value xendomains.service)
bd_go=$(systemctl show -p InactiveExitTimestampMonotonic --value $BD_UNIT)
note "xendomains active at ${xd_up} us, balloond started at ${bd_go} us (monotonic)"
[ -n "$xd_up" ] && [ -n "$bd_go" ] && [ "$bd_go" -ge "$xd_up" ] ||
    fail "balloond started (${bd_go}) before xendomains had created its guests (${xd_up})"
systemctl is-active -q $BD_UNIT || fail "balloond is not active after the start"
wait_until 30 bctl show --json || fail "balloonctl show fails after the start"
snap
[ -n "$(sf x1 domid)" ] && [ -n "$(sf x2 domid)" ] || fail "balloond does not list x1 and x2"
exit 0
