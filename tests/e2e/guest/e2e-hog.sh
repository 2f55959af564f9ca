#!/bin/sh
# e2e-hog.sh - the guest's memory hog and hostile-writer, driven from dom0.
#
# Memory is held as 8 MiB files in a tmpfs (/hog): without swap those pages
# cannot be reclaimed, so the guest really uses what data/hog-target-mib
# asks.  By default the hog is polite: it grows only while MemAvailable is
# above data/hog-margin-mib, like an application that needs memory and waits
# for it, which is the pressure balloond must answer; it never pushes the
# guest into the OOM killer.  Shrinking is immediate.
CHUNK=8
n=0
have=0
reported=-1

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
            data/balloon/seq "$i$i" 2>/dev/null
        xenstore-write data/balloon/junk$((i % 20)) "$big" \
            data/balloon/seq $i 2>/dev/null
    done
    echo "guest: flood done after $i rounds"
}

while :; do
    want=$(xenstore-read data/hog-target-mib 2>/dev/null)
    case "$want" in ''|*[!0-9]*) want=0 ;; esac
    margin=$(xenstore-read data/hog-margin-mib 2>/dev/null)
    case "$margin" in ''|*[!0-9]*) margin=40 ;; esac
    grew=0
    if [ $have -lt $want ]; then
        avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
        if [ "$avail" -gt $((margin + CHUNK)) ] || [ "$margin" -eq 0 ]; then
            if dd if=/dev/zero of=/hog/c$n bs=1M count=$CHUNK 2>/dev/null; then
                n=$((n + 1))
                have=$((n * CHUNK))
                grew=1
            else
                rm -f /hog/c$n
            fi
        fi
    fi
    while [ $have -gt $want ] && [ $n -gt 0 ]; do
        n=$((n - 1))
        rm -f /hog/c$n
        have=$((n * CHUNK))
    done
    if [ $have -ne $reported ]; then
        xenstore-write data/hog-mib $have 2>/dev/null && reported=$have
    fi
    secs=$(xenstore-read data/e2e-flood 2>/dev/null)
    case "$secs" in
    ''|*[!0-9]*) ;;
    *) xenstore-rm data/e2e-flood; flood "$secs" ;;
    esac
    # Keep growing at full speed; otherwise look again soon.
    [ $grew = 1 ] || sleep 0.3
done
