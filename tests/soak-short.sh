#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check's short soak: 14 simulated days of tests/soak.c (make soak runs
# 365), with the shipped configuration.
set -e
b=${BUILDDIR:-build}
[ -x "$b/tests/soak" ] || make -s "$b/tests/soak" BUILDDIR="$b" >/dev/null
"$b/tests/soak" 14
