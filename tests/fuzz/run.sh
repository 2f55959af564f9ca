#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make fuzz: run each libFuzzer harness named on the command line for
# FUZZ_SECONDS, from a copy of its committed seed corpus plus the inputs
# that once found bugs, with its dictionary when it has one.  Exit status
# 1 if any harness found a crash, leak, timeout or sanitizer report (the
# input is kept in $FUZZ_DIR/artifacts/).
set -u
cd "$(dirname "$0")/../.."
: "${FUZZ_DIR:?}" "${FUZZ_SECONDS:=30}"
failed=""
for t in "$@"; do
    work=$FUZZ_DIR/corpus/$t
    mkdir -p "$work" "$FUZZ_DIR/artifacts"
    cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
    [ ! -d tests/fuzz/regress/"$t" ] || cp tests/fuzz/regress/"$t"/* "$work"/
    set -- -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="$FUZZ_DIR/artifacts/$t-"
    [ ! -f tests/fuzz/"$t".dict ] || set -- "$@" -dict=tests/fuzz/"$t".dict
    echo "=== fuzz_$t for ${FUZZ_SECONDS}s"
    if "$FUZZ_DIR/fuzz_$t" "$@" "$work" >"$FUZZ_DIR/$t.log" 2>&1; then
        grep -E '^stat::number_of_executed_runs|^#[0-9]+.*DONE' \
            "$FUZZ_DIR/$t.log" | tail -2
    else
        tail -40 "$FUZZ_DIR/$t.log"
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: FAILED:$failed (inputs in $FUZZ_DIR/artifacts/)"
    exit 1
fi
echo "fuzz: every harness ran ${FUZZ_SECONDS}s clean"
