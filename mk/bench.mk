# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`: the trace benchmark (bench/MODEL.md, v2) and its plots.
#   make bench [TRACE=file.csv.gz META=meta.csv] [BENCH_JOBS=N]
# Writes bench/out/results.csv, series.csv, cost.csv and the plots.  The
# bench links the whole daemon core: balloond runs through bd_cycle().
EXTRA_DEB_DEPS += zlib1g-dev gnuplot-nox

TRACE ?= ../shared/traces/bitbrains-rnd/sample-50vms-5min.csv.gz
META ?= ../shared/traces/bitbrains-rnd/sample-50vms-meta.csv
BENCH_JOBS ?= 0
BENCH_BIN := $(BUILDDIR)/bench/bench
BENCH_OWN_SRCS := bench/host.c bench/run.c bench/run_balloond.c bench/baselines.c \
                  bench/trace.c bench/cost.c bench/starts.c
BENCH_LIBS := $(INIH_LIBS) -lz -lm
BENCH_DAEMON_OBJS = $(call obj,$(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS))

.SECONDEXPANSION:
$(BENCH_BIN): $(call obj,bench/bench.c $(BENCH_OWN_SRCS)) $$(BENCH_DAEMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(BENCH_LIBS)

.PHONY: bench
bench: deps $(BENCH_BIN)
	@sh bench/run.sh $(BENCH_BIN) "$(TRACE)" "$(META)" bench/out $(BENCH_JOBS)

# The trace loader, the v2 reporters read back through the daemon's
# parsers, and the baselines on small hand-made traces.
TESTS += $(BUILDDIR)/tests/test_sim_bench
$(BUILDDIR)/tests/test_sim_bench: $(call obj,tests/test_sim_bench.c $(BENCH_OWN_SRCS)) $$(BENCH_DAEMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(BENCH_LIBS) $(CMOCKA_LIBS)
