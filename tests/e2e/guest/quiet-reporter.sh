#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# quiet-reporter.sh xs|qubes - a write-on-change memory reporter, as the
# guest tools other projects ship write them (facts: shared notes,
# xen-facts.md), for the e2e scenarios of quiet reporters:
#   xs     XenServer's xe-daemon: data/meminfo_total (MemTotal) and
#          data/meminfo_free (MemAvailable), KiB, each written only when it
#          changed, one key at a time, no transaction;
#   qubes  Qubes' meminfo-writer: memory/meminfo, one number (the KiB in
#          use), written only after a move of 30000 KiB or more; dom0
#          creates the key empty and guest-writable first, as qubesd does.
# "Changed" here means moved by more than THRESH_KIB, so that an idle
# guest really writes nothing (the point of these scenarios).  Reading
# /proc/meminfo is a shell builtin: the loop costs nothing between writes.
mode=$1
INTERVAL=5
case $mode in
xs) THRESH_KIB=16384 ;;
*) THRESH_KIB=30000 ;;
esac
last_total="" last_free="" last_used=""

moved() { # old new: nothing written yet, or moved by more than THRESH_KIB
    [ -n "$1" ] || return 0
    d=$(($2 - $1))
    [ ${d#-} -gt $THRESH_KIB ]
}
while :; do
    total=0 avail=0
    while read -r k v _; do
        case $k in
        MemTotal:) total=$v ;;
        MemAvailable:) avail=$v ;;
        esac
    done < /proc/meminfo
    case $mode in
    xs)
        if moved "$last_total" $total; then
            xenstore-write data/meminfo_total $total && last_total=$total
        fi
        if moved "$last_free" $avail; then
            xenstore-write data/meminfo_free $avail && last_free=$avail
        fi ;;
    qubes)
        used=$((total - avail))
        if moved "$last_used" $used; then
            # fails until dom0 has created the key for us
            xenstore-write memory/meminfo $used 2>/dev/null && last_used=$used
        fi ;;
    esac
    sleep $INTERVAL
done
