/*
 * bench.h - the balancing benchmark (../shared/notes/bench-model.md, v1).
 *
 * Design: trace.c loads a grid trace and its meta file; model.c is the
 * benchmark's host model (5 s ticks, 200 MiB/s balloons, shrinks first,
 * growth in VM order limited by free memory) with the policies it
 * compares (balloond's real bd_policy_plan(), static, squeezed's published
 * formula, qmemman's algorithm) and the oracle bound; bench.c runs every
 * policy at every capacity (in parallel processes), writes
 * bench/out/results.csv and the time series the plots use, and times
 * bd_policy_plan() at 50, 1,000 and 4,096 domains.
 */
#ifndef BD_BENCH_H
#define BD_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bd_trace {
    size_t n_vm;
    size_t n_samples;
    uint64_t step_s;   /* sample spacing */
    uint32_t *vm_id;   /* n_vm */
    uint64_t *max_kib; /* provisioned, n_vm */
    uint64_t *use_kib; /* n_samples x n_vm, row-major */
};

/* Load TRACE (gzip or plain CSV) and META.  On error returns -errno and
 * prints a message to stderr. */
int bd_trace_load(const char *trace_path, const char *meta_path,
                  struct bd_trace *t);
void bd_trace_dispose(struct bd_trace *t);

enum bd_bench_policy {
    BP_BALLOOND = 0,
    BP_STATIC,
    BP_SQUEEZED,
    BP_QMEMMAN,
    BP_ORACLE,
    BP_ORACLE_MIN,
    BP_COUNT,
};
extern const char *const bd_bench_policy_name[BP_COUNT];

struct bd_bench_result {
    enum bd_bench_policy policy;
    uint64_t capacity_kib;
    double shortfall_gib_h;
    double shortfall_pct;  /* of total demand */
    double pressured_pct;  /* of (VM, tick) pairs; oracle: -1 */
    double churn_per_vm_h; /* oracle: -1 */
    double idle_gib;       /* oracle: -1 */
    uint64_t violations;
    double demand_gib_h;
};

/* Time series of a few VMs, one row per trace sample (demand, allocation). */
struct bd_bench_series {
    size_t n_vm;         /* VMs recorded */
    size_t *vm_idx;      /* which */
    uint64_t *alloc_kib; /* n_samples x n_vm (allocation at sample end) */
};

/* Run one policy at one capacity over the whole trace.  series may be NULL. */
int bd_bench_run(const struct bd_trace *t, enum bd_bench_policy pol,
                 uint64_t capacity_kib, struct bd_bench_result *res,
                 struct bd_bench_series *series);

#endif /* BD_BENCH_H */
