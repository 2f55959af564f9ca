#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# man-check.sh - the manual pages say what the programs do.
#
# Every page has an .Os value and renders within 80 columns (tables and
# examples included) with no quote nested in another; every simulator scenario (sim/scenario.c's table) is
# described in balloond(8); every balloonctl command, `list` included, is
# in balloonctl(8).
set -u
fail() { echo "FAIL: man-check: $*"; exit 1; }
command -v mandoc > /dev/null || fail "mandoc is missing (make deps)"
command -v python3 > /dev/null || fail "python3 is missing"

version=$(cat VERSION)
for m in man/*.[58]; do
    grep -qx "\.Os balloond $version" "$m" || fail "$m: .Os is not 'balloond $version' (VERSION)"
    wide=$(mandoc -Tascii -Owidth=80 "$m" | col -bx |
           python3 -c 'import sys
for l in sys.stdin:
    l = l.rstrip("\n")
    if len(l) > 80: print(len(l), l)')
    [ -z "$wide" ] || fail "$m: wider than 80 columns: $wide"
    # a quote inside a quote (.Ql a , Ql b) renders as ‘a, ‘b’’
    nested=$(mandoc -Tutf8 "$m" | col -bx | grep -n "‘‘\|’’\|““\|””" | head -n 3)
    [ -z "$nested" ] || fail "$m: nested quotes: $nested"
done

names=$(grep -o '{"[a-z-]*", [0-9]* \* GIB, [0-9]*, sc_[a-z_]*}' sim/scenario.c |
        cut -d'"' -f2 | sort -u)
[ -n "$names" ] || fail "no scenario names found in sim/scenario.c"
for n in $names; do
    grep -q "^\.It Cm $n\$" man/balloond.8 || fail "scenario $n is not in balloond(8)"
done

for c in status show list set auto limits reserve create capacity release reload metrics explain top help; do
    grep -q "Cm $c\b" man/balloonctl.8 || fail "command $c is not in balloonctl(8)"
done
echo "man-check: ok"
