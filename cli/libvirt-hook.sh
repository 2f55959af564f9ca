#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt-hook.sh - installed as /etc/libvirt/hooks/libxl.d/balloond: makes
# room for a domain libvirt's libxl driver starts while balloond has lent
# the host's spare memory to the running guests.
#
# libvirt runs it synchronously as `balloond NAME OPERATION SUB-OP EXTRA`
# with the domain XML on stdin (libvirt's hooks documentation):
#   prepare begin / migrate begin  before a start, a restore or an incoming
#       migration: reserve what the domain needs (its XML as an xl config,
#       so that `balloonctl reserve` asks libxl for the need with Xen's
#       overhead counted) and remember the reservation; a non-zero exit,
#       with one line on stderr, stops the start, as libvirt documents;
#   started begin, stopped end, release end  the domain holds its memory
#       now, or it did not start: give the reservation back.
# Nothing else is touched.  When balloond is not running nothing is lent,
# so the start goes on as without it.  A reservation left behind (libvirtd
# killed) expires by itself (balloond.conf(5), reserve-hold).
#
# Environment (for tests): BALLOONCTL (default balloonctl), BALLOOND_HOOK_DIR
# (where reservation ids are kept, default /run/balloond-libvirt),
# BALLOOND_HOOK_TIMEOUT (default 30s, xl's own wait is 3 x 10 s).
set -u

ctl=${BALLOONCTL:-balloonctl}
dir=${BALLOOND_HOOK_DIR:-/run/balloond-libvirt}
timeout=${BALLOOND_HOOK_TIMEOUT:-30s}
name=${1:-}
op=${2:-}
sub=${3:-}

err() { echo "balloond hook: $name: $*" >&2; }

# A libvirt domain name has no '/' and is not empty: anything else is no
# domain of ours.  In the xl config it only names the domain in messages:
# what xl could not quote is left out.
case $name in ''|*/*) exit 0 ;; esac
resfile="$dir/$name.res"
cfgname=$(printf '%s' "$name" | tr -cd 'A-Za-z0-9._+:@-')

# kib ELEMENT: the value of <ELEMENT unit='U'>N</ELEMENT> in KiB (libvirt
# writes unit='KiB'; the others are what its schema allows).
kib() {
    line=$(printf '%s\n' "$xml" | sed -n "s|.*<$1\([^>]*\)>[[:space:]]*\([0-9][0-9]*\)[[:space:]]*</$1>.*|\1 \2|p" | head -n 1)
    [ -n "$line" ] || return 1
    n=${line##* }
    unit=$(printf '%s\n' "$line" | sed -n "s|.*unit=['\"]\([A-Za-z]*\)['\"].*|\1|p")
    case ${unit:-KiB} in
        b|bytes) echo $(( (n + 1023) / 1024 )) ;;
        KB) echo $(( (n * 1000 + 1023) / 1024 )) ;;
        k|KiB) echo "$n" ;;
        MB) echo $(( n * 1000000 / 1024 )) ;;
        M|MiB) echo $(( n * 1024 )) ;;
        GB) echo $(( n * 1000000000 / 1024 )) ;;
        G|GiB) echo $(( n * 1048576 )) ;;
        *) return 1 ;;
    esac
}

release() {
    [ -f "$resfile" ] || return 0
    id=$(cat "$resfile" 2>/dev/null)
    rm -f "$resfile"
    case $id in
        ''|*[!0-9]*) return 0 ;;
    esac
    # Taken by the new domain, expired, or balloond restarted: all fine.
    "$ctl" release "$id" > /dev/null 2>&1 || true
}

reserve() {
    xml=$(cat)
    max=$(kib memory) || { err "no <memory> in the domain XML"; exit 1; }
    cur=$(kib currentMemory) || cur=$max
    vcpus=$(printf '%s\n' "$xml" | sed -n 's|.*<vcpu[^>]*>[[:space:]]*\([0-9][0-9]*\)[[:space:]]*</vcpu>.*|\1|p' | head -n 1)
    vram=$(printf '%s\n' "$xml" | sed -n "s|.*<model[^>]* vram=['\"]\([0-9][0-9]*\)['\"].*|\1|p" | head -n 1)
    ostype=$(printf '%s\n' "$xml" | sed -n 's|.*<type[^>]*>[[:space:]]*\([a-z]*\)[[:space:]]*</type>.*|\1|p' | head -n 1)
    case $ostype in
        hvm) type=hvm ;;
        xenpvh) type=pvh ;;
        xen|linux|'') type=pv ;;
        *) err "unknown <os><type>$ostype</type>"; exit 1 ;;
    esac
    # A start that follows one that failed before its release: one
    # reservation per domain, never two.
    release
    mkdir -p "$dir" || { err "cannot create $dir"; exit 1; }
    cfg=$(mktemp "$dir/.cfg.XXXXXX") || { err "cannot write in $dir"; exit 1; }
    trap 'rm -f "$cfg"' EXIT
    # xl sizes are MiB: round up, never under what libvirt will give.
    {
        echo "name = \"${cfgname:-domain}\""
        echo "type = \"$type\""
        echo "memory = $(( (cur + 1023) / 1024 ))"
        echo "maxmem = $(( (max + 1023) / 1024 ))"
        echo "vcpus = ${vcpus:-1}"
        # video RAM (KiB in the XML) is counted in the need of an HVM guest
        if [ "$type" = hvm ] && [ -n "$vram" ]; then
            echo "videoram = $(( (vram + 1023) / 1024 ))"
        fi
    } > "$cfg"
    out=$("$ctl" --timeout "$timeout" reserve --quiet "$cfg" 2> "$cfg.err")
    rc=$?
    if [ "$rc" -ne 0 ]; then
        msg=$(head -n 1 "$cfg.err")
        rm -f "$cfg.err"
        case $rc in
            # balloond not running (or not reachable): nothing is lent.
            3) exit 0 ;;
        esac
        err "${msg:-balloonctl reserve failed (exit $rc)}"
        exit 1
    fi
    rm -f "$cfg.err"
    case $out in
        ''|*[!0-9]*) err "balloonctl reserve printed no id: $out"; exit 1 ;;
    esac
    echo "$out" > "$resfile" || { err "cannot write $resfile"; exit 1; }
}

case "$op $sub" in
    "prepare begin"|"migrate begin") reserve ;;
    "started begin"|"stopped end"|"release end") release ;;
esac
exit 0
