#!/bin/sh
# s26-sd-probe (systemd dom0, research): what balloond really uses of the
# unit's allowances.  Prints the process's open files, capabilities and
# seccomp state, then restarts it under tighter drop-ins and reports
# whether it still starts and writes a pin.  Always passes unless the
# unit cannot be restored.
# e2e-timeout: 240
# e2e-needs-guests
. /e2e/lib.sh
need_bins balloond balloonctl
ensure_balloond
show_proc() {
    for p in $(cat /sys/fs/cgroup/system.slice/balloond.service/cgroup.procs 2>/dev/null); do
        note "process $p: $(tr '\0' ' ' < /proc/$p/cmdline) ppid $(awk '/^PPid:/ { print $2 }' /proc/$p/status)"
        grep -E '^(Cap|Seccomp|NoNewPrivs|Threads)' /proc/$p/status | sed 's/^/    /'
        ls -l /proc/$p/fd 2>/dev/null | awk '{ print "    fd", $(NF-2), $NF }'
        for t in /proc/$p/task/*; do note "    task $(basename $t): $(cat $t/comm)"; done
    done
    cat /proc/net/unix 2>/dev/null | grep -E 'xenstored|balloond' | sed 's/^/    unix /'
}
show_proc
d=/run/systemd/system/balloond.service.d
probe() { # NAME drop-in-lines...
    _n=$1
    shift
    mkdir -p $d
    printf '[Service]\n' > $d/probe.conf
    for l in "$@"; do echo "$l" >> $d/probe.conf; done
    systemctl daemon-reload
    _c=$(sd_cursor)
    if systemctl restart $BD_UNIT && wait_until 20 bctl show --json &&
       bctl set g1 280M >/dev/null 2>&1 &&
       wait_until 20 sh -c "[ \"\$(xenstore-read $(xs_dom g1)/memory/target)\" = 286720 ]"; then
        note "PROBE $_n: works"
    else
        note "PROBE $_n: FAILS ($(sd_prop ActiveState)/$(sd_prop SubState))"
    fi
    sd_journal_since "$_c" -o cat -p warning | sed "s/^/    $_n: /"
    show_proc | grep -E 'Cap(Eff|Bnd)|fd' | sed "s/^/    $_n: /"
    bctl auto g1 >/dev/null 2>&1
}
probe nocaps 'CapabilityBoundingSet='
probe sysadmin-only 'CapabilityBoundingSet=' 'CapabilityBoundingSet=CAP_SYS_ADMIN'
probe dev3 'DeviceAllow=' 'DeviceAllow=/dev/xen/privcmd rw' 'DeviceAllow=/dev/xen/hypercall rw' 'DeviceAllow=/dev/xen/xenbus rw'
probe nodev 'DeviceAllow=' 'DevicePolicy=closed'
probe private-devices 'PrivateDevices=yes'
probe strict-filter 'SystemCallFilter=~@privileged @resources'
rm -rf $d
systemctl daemon-reload
systemctl restart $BD_UNIT && wait_until 20 bctl show --json || fail "balloond does not come back under the shipped unit"
exit 0
