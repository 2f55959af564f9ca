#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# s20-sd-start (systemd dom0): the balloond package as `dpkg -i` left it
# (installed, its files as shipped, the unit enabled and started by the
# maintainer scripts); then, with the test configuration, `systemctl start
# balloond` returns only once balloond has sent READY=1 (Type=notify): the
# unit is active/running with balloond's STATUS= line, the control socket
# has the configured group, and `balloonctl show` lists every domain.
# e2e-timeout: 90
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl

[ "$(cat /tmp/dpkg-i.rc 2>/dev/null)" = 0 ] || fail "dpkg -i failed: $(cat /tmp/dpkg-i.log)"
st=$(dpkg-query -W -f '${Status}' balloond 2>&1)
[ "$st" = "install ok installed" ] || fail "dpkg-query: balloond is '$st'"
# Every file as shipped (the configuration is a conffile: skipped).  dpkg
# by path: busybox's sh would run its own dpkg applet.
/usr/bin/dpkg --verify balloond > /tmp/verify.txt 2>&1
grep -v ' c /' /tmp/verify.txt > /tmp/verify.bad
[ ! -s /tmp/verify.bad ] || fail "dpkg --verify balloond: $(cat /tmp/verify.bad)"
[ -z "$(sd_prop DropInPaths)" ] || fail "balloond.service has drop-ins: $(sd_prop DropInPaths)"
[ "$(sd_prop FragmentPath)" = /lib/systemd/system/balloond.service ] ||
    fail "balloond.service comes from $(sd_prop FragmentPath)"
[ "$(cat /tmp/after-install.enabled)" = enabled ] ||
    fail "after dpkg -i the unit is '$(cat /tmp/after-install.enabled)', not enabled"
[ "$(cat /tmp/after-install.active)" = active ] ||
    fail "after dpkg -i the unit is '$(cat /tmp/after-install.active)', not active"

# The admin's configuration, then a start.  The control socket's group
# (here one systemd-sysusers made, which root is not a member of) needs
# the unit's CAP_CHOWN and @chown system calls.
systemctl stop $BD_UNIT || fail "systemctl stop balloond failed"
bd_conf
sed -i 's/^\[control\]$/[control]\ngroup = systemd-journal/' "$BD_CONF"
t0=$(now_s)
systemctl start $BD_UNIT || fail "systemctl start balloond failed"
metric sd_start_ms "$(elapsed_ms "$t0")"
systemctl show -p ActiveState,SubState,StatusText,MainPID,NRestarts $BD_UNIT > /tmp/show.txt
sed 's/^/  /' /tmp/show.txt
grep -qx ActiveState=active /tmp/show.txt && grep -qx SubState=running /tmp/show.txt ||
    fail "after systemctl start: $(tr '\n' ' ' < /tmp/show.txt)"
grep -q '^StatusText=.*domains managed' /tmp/show.txt ||
    fail "no STATUS= text from balloond: $(grep StatusText /tmp/show.txt)"
g=$(stat -c %G /run/balloond/control 2>&1)
[ "$g" = systemd-journal ] || fail "the control socket's group is '$g', not systemd-journal"
# The unit's processes (what the sandbox holds), for the log.
for p in $(cat /sys/fs/cgroup/system.slice/balloond.service/cgroup.procs 2>/dev/null); do
    note "  process $p: ppid $(awk '/^PPid:/ { print $2 }' /proc/$p/status)," \
         "threads $(awk '/^Threads:/ { print $2 }' /proc/$p/status):" \
         "$(tr '\0' ' ' < /proc/$p/cmdline)"
    note "  its devices: $(ls -l /proc/$p/fd | awk '$NF ~ /^\/dev\// { print $NF }' | sort | uniq -c | tr -s ' \n' ' ')"
    note "  $(grep -E '^(CapEff|Seccomp):' /proc/$p/status | tr -s '\t\n' '  ')"
done
wait_until 20 snap || fail "balloonctl show --json failed: $(cat /tmp/bctl.err)"
for d in Domain-0; do
    [ -n "$(sf "$d" domid)" ] || fail "balloonctl show lacks $d"
done
for d in g1 gh; do
    dom_exists $d || continue
    [ -n "$(sf "$d" domid)" ] || fail "balloonctl show lacks $d"
done
exit 0
