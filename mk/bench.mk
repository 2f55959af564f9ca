# `make bench`: the trace benchmark (bench-model.md) and its plots.
#   make bench [TRACE=file.csv.gz META=meta.csv] [BENCH_JOBS=N]
# Writes bench/out/results.csv, series.csv, timing.csv and the plots.
EXTRA_DEB_DEPS += zlib1g-dev gnuplot-nox

TRACE ?= ../shared/traces/bitbrains-rnd/sample-50vms-5min.csv.gz
META ?= ../shared/traces/bitbrains-rnd/sample-50vms-meta.csv
BENCH_JOBS ?= 0
BENCH_BIN := $(BUILDDIR)/bench/bench
BENCH_OBJS := $(call obj,bench/bench.c bench/model.c bench/trace.c $(POLICY_SRCS))

$(eval $(call LINK,$(BENCH_BIN),$(BENCH_OBJS),-lz))

.PHONY: bench
bench: deps $(BENCH_BIN)
	@sh bench/run.sh $(BENCH_BIN) "$(TRACE)" "$(META)" bench/out $(BENCH_JOBS)

# The trace loader and the benchmark's model on small hand-made traces.
TESTS += $(BUILDDIR)/tests/test_sim_bench
$(eval $(call LINK,$(BUILDDIR)/tests/test_sim_bench,$(call obj,tests/test_sim_bench.c bench/model.c bench/trace.c $(POLICY_SRCS)),-lz $(CMOCKA_LIBS)))
