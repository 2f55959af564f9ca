#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sysd-driver.sh - the e2e driver of the systemd dom0, run by e2e.service
# once systemd has reached multi-user.target (tests/e2e/sysd/): check that
# Debian's xen.service brought the host up, install the balloond package
# with dpkg -i, then run the suite as dom0/init does (guests, scenarios,
# results on the console) and reboot.
#
# Kernel command line (set by run.sh): e2e.suite=NAME, e2e.shell=1 (a
# shell on the console before rebooting).  Output: the protocol of
# dom0/init ("E2E: ..." lines, tests/e2e/README.md).
. /e2e/lib.sh
export HOME=/root
mark "e2e.service started"

suite=f shell=0
for a in $(cat /proc/cmdline); do
    case "$a" in
    e2e.suite=*) suite=${a#e2e.suite=} ;;
    e2e.shell=1) shell=1 ;;
    esac
done

finish() {
    sync
    if [ $shell = 1 ]; then
        echo "e2e: shell (exit to power off)"
        setsid sh -c 'exec sh </dev/hvc0 >/dev/hvc0 2>&1'
    fi
    echo "E2E: poweroff"
    # An orderly shutdown stops balloond and Xen's daemons as on a real
    # host; if it hangs, the reboot is forced.
    systemctl --no-block reboot
    sleep 60
    reboot -f
}
host_failed() {
    echo "E2E: 1..1"
    echo "E2E: not ok 1 - host-up # $*"
    systemctl --no-pager --failed
    journalctl -q --no-pager -b -p warning | tail -n 30
    echo "E2E: done pass=0 fail=1 skip=0"
    finish
    exit 1
}

# systemd's own account of the boot.
systemd-analyze 2>/dev/null | sed -n 's/^Startup finished in /# systemd: startup /p'
metric systemd_userspace_s "$(systemd-analyze 2>/dev/null | sed -n 's/.*+ \([0-9.]*\)s (userspace).*/\1/p')"
systemd-analyze blame --no-pager 2>/dev/null | head -n 6 | sed 's/^ */# slowest unit: /'
systemctl --no-pager --failed --plain --no-legend | sed 's/^/# failed unit: /'

systemctl is-active -q xen.service ||
    { systemctl --no-pager status xen.service; host_failed "xen.service is not active"; }
xenstore-read -s / >/dev/null 2>&1 || host_failed "xenstored not answering"
xl list >/dev/null || host_failed "xl list failed"
note "# xen.service: $(systemctl show -p ActiveState,SubState --value xen.service | tr '\n' ' ')"
mark "host up"

# The package, as an admin installs it; what its maintainer scripts did
# is checked by s20-sd-start.
deb=$(ls /e2e/debs/balloond_*.deb 2>/dev/null | head -n 1)
if [ -n "$deb" ]; then
    t0=$(now_s)
    # By path: busybox's sh would run its own dpkg applet.
    /usr/bin/dpkg -i "$deb" > /tmp/dpkg-i.log 2>&1
    echo "$?" > /tmp/dpkg-i.rc
    sed 's/^/# dpkg -i: /' /tmp/dpkg-i.log
    metric dpkg_install_ms "$(elapsed_ms "$t0")"
    systemctl is-active balloond > /tmp/after-install.active 2>&1
    systemctl is-enabled balloond > /tmp/after-install.enabled 2>&1
    mark "balloond package installed ($(cat /tmp/after-install.active))"
else
    note "# no balloond package in /e2e/debs (make deb): its scenarios skip"
fi

run_suite "$suite"
finish
