#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# e2e-hog.sh - the guest's memory hog and hostile writer, driven from dom0
# through the guest's own keys (all created by init):
#   data/e2e/hog-target-mib  MiB the hog should hold
#   data/e2e/hog-margin-mib  grow only while MemAvailable stays above this
#   data/e2e/flood           seconds of hostile writes to the stat keys
#   data/e2e/cal             a calibration measurement (calibrate.sh)
#   data/e2e/hog-mib         MiB held now (written here)
#   data/e2e/guest-target-kb, guest-current-kb  the balloon driver's own
#                            target and what it holds (written here when
#                            they changed, at any command: dom0 pokes
#                            data/e2e/poke to have them refreshed)
#
# Memory is held as 8 MiB files in a tmpfs (/hog): with no swap those pages
# cannot be reclaimed, so the guest really uses what it is asked to.  The hog
# is polite: it grows only while MemAvailable is above the margin, like an
# application that waits for memory, which is the pressure balloond must
# answer; it never pushes the guest into the OOM killer.  Shrinking is
# immediate.
#
# Cost matters: under QEMU TCG every process spawn is expensive, so the loop
# blocks on a xenstore watch and spawns nothing while idle; it only polls
# /proc/meminfo (a shell builtin read) while it waits for memory.
. /calibrate.sh
CHUNK=8
n=0
have=0
reported=-1
want=0
margin=12

flood() { # seconds: what a hostile or broken guest can write
    end=$(( $(cut -d. -f1 /proc/uptime) + $1 ))
    big=$(head -c 3000 /dev/zero | tr '\0' 9)
    i=0
    while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
        i=$((i + 1))
        xenstore-write \
            data/balloon/mem-total "garbage$i" \
            data/balloon/mem-available 99999999999999999999999 \
            data/balloon/swap-total -5 \
            data/balloon/swap-free "$big" \
            data/balloon/psi-some "12 34" \
            data/balloon/swapin-rate 18446744073709551617 \
            data/balloon/seq $i \
            data/meminfo_total 0x10 \
            data/meminfo_free " 1" \
            data/balloon/mem-total 1 \
            data/balloon/mem-available 4294967296000 \
            data/balloon/seq "$i$i" \
            data/balloon/junk$((i % 20)) "$big" \
            data/balloon/mem-total 262144 \
            data/balloon/mem-available 262144 \
            data/balloon/seq $i 2>/dev/null
    done
    echo "guest: flood done after $i rounds"
}

avail_mib() {
    while read -r k v _; do
        [ "$k" = MemAvailable: ] && { echo $((v / 1024)); return; }
    done < /proc/meminfo
    echo 0
}

read_keys() {
    set -- $(xenstore-read data/e2e/hog-target-mib data/e2e/hog-margin-mib \
             data/e2e/flood data/e2e/cal 2>/dev/null)
    case "${1:-}" in ''|*[!0-9]*) ;; *) want=$(($1 / CHUNK * CHUNK)) ;; esac
    case "${2:-}" in ''|*[!0-9]*) ;; *) margin=$2 ;; esac
    case "${3:-}" in ''|0|*[!0-9]*) ;; *)
        xenstore-write data/e2e/flood 0
        flood "$3" ;;
    esac
    case "${4:-}" in balloon.[0-9]*|report.[0-9]*)
        xenstore-write data/e2e/cal 0
        cal_cmd "$4" ;;
    esac
}

mkfifo /tmp/e2e-ev
start_watch() {
    xenstore-watch data/e2e > /tmp/e2e-ev &
    exec 3< /tmp/e2e-ev
}
start_watch

while :; do
    if [ $have -lt $want ]; then
        # Waiting for memory: look again soon, or at once on a new command.
        read -t 0.5 -u 3 ev
    else
        read -u 3 ev || { sleep 1; start_watch; }
    fi
    read_keys
    while [ $have -lt $want ]; do
        a=$(avail_mib)
        [ "$a" -gt $((margin + CHUNK)) ] || [ "$margin" -eq 0 ] || break
        if dd if=/dev/zero of=/hog/c$n bs=1M count=$CHUNK 2>/dev/null; then
            n=$((n + 1))
            have=$((n * CHUNK))
        else
            rm -f /hog/c$n
            break
        fi
    done
    while [ $have -gt $want ] && [ $n -gt 0 ]; do
        n=$((n - 1))
        rm -f /hog/c$n
        have=$((n * CHUNK))
    done
    xm=/sys/devices/system/xen_memory/xen_memory0
    if read -r gt < $xm/target_kb 2>/dev/null && read -r gc < $xm/info/current_kb &&
       [ "$gt $gc" != "${gt_reported:-}" ]; then
        xenstore-write data/e2e/guest-target-kb "$gt" data/e2e/guest-current-kb "$gc" \
            2>/dev/null && gt_reported="$gt $gc"
    fi
    if [ $have -ne $reported ]; then
        xenstore-write data/e2e/hog-mib $have 2>/dev/null && reported=$have
    fi
done
