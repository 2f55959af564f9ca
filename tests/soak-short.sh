#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check's short soak: 14 simulated days of tests/soak.c (make soak runs
# 365), with the shipped configuration.
set -e
b=${BUILDDIR:-build}
# always through make: a stale binary must not pass for this tree
make -s "$b/tests/soak" BUILDDIR="$b" >/dev/null
"$b/tests/soak" 14
