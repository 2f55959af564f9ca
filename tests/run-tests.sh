#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every test given on the command line (unit-test executables and shell
# scripts), print each one's result, and end with the one summary line CI
# reads: "N passed, N failed".  Exit status 1 if anything failed.
pass=0
fail=0
failed=""
for t in "$@"; do
    case "$t" in
    *.sh) cmd="sh $t" ;;
    *) cmd="$t" ;;
    esac
    if $cmd; then
        pass=$((pass + 1))
        echo "ok: $t"
    else
        fail=$((fail + 1))
        failed="$failed $t"
        echo "FAILED: $t"
    fi
done
[ -z "$failed" ] || echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
