/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench.h - the balancing benchmark, model v2 (bench/MODEL.md).
 *
 * Design: trace.c loads a grid trace and its meta file; run.c builds a
 * simulated host (sim/sim.h, the one host model) with one guest per trace
 * VM whose demand is the trace, and runs one policy on it in virtual
 * time: balloond is the real daemon (bd_cycle() through sim/simrun.h,
 * run_balloond.c), the baselines (baselines.c: static, squeezed, qmemman)
 * see the guests only through the model's keys and hypervisor figures and
 * set targets with bd_sim_set_target(); oracle-min is computed.  bench.c
 * runs every policy at every capacity in parallel processes, finds each
 * policy's smallest capacity for a 0.1 % shortfall by bisection, and
 * times the daemon's whole cycle at 50, 1,000 and 4,096 domains (cost.c).
 */
#ifndef BD_BENCH_H
#define BD_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/calibration.h"

/* KiB x ms in one GiB-hour: the unit of shortfall and demand. */
#define KIB_MS_PER_GIB_H (1024.0 * 1024.0 * 3600.0 * 1000.0)

struct bd_sim;

#define BD_BENCH_CAUSES 6
/* Their names, for the report: "over-max", "unseen", ... */
extern const char *const bd_bench_cause_name[BD_BENCH_CAUSES];

struct bd_trace {
    size_t n_vm;
    size_t n_samples;
    uint64_t step_s;   /* sample spacing */
    uint32_t *vm_id;   /* n_vm */
    uint64_t *max_kib; /* provisioned, n_vm */
    uint64_t *use_kib; /* n_samples x n_vm, row-major */
    enum bd_cal_profile speeds; /* the guests' balloon speeds in the run
                                   (bench --speeds; default BD_CAL_HW) */
    bool no_starts;             /* no VM starts in the run (--no-starts) */
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
    BP_ORACLE_MIN,
    BP_COUNT,
};
extern const char *const bd_bench_policy_name[BP_COUNT];

struct bd_bench_result {
    enum bd_bench_policy policy;
    uint64_t capacity_kib;
    double shortfall_gib_h;
    double shortfall_pct;  /* of total demand */
    double pressured_pct;  /* of VM time; oracle-min: -1 */
    double low_headroom_pct; /* of VM time: less than BD_SIM_HEADROOM_KIB
                                available while the host had it free;
                                oracle-min: -1 */
    double churn_per_vm_h; /* oracle-min: -1 */
    double idle_gib;       /* oracle-min: -1 */
    uint64_t violations;
    double demand_gib_h;
    /* the shortfall by cause, GiB-hours (struct bd_sim_stats' order:
     * over static-max, unseen, waits, capped, moving, not free) */
    double cause_gib_h[BD_BENCH_CAUSES];
    /* VM starts (starts.c): asked, admitted within the wait, the wait */
    uint32_t starts, starts_admitted, starts_refused;
    uint64_t start_p50_ms, start_p99_ms;
    /* the starts the bound says fit (every VM's oracle-min need and the
     * start's in C), admitted of those within the wait, refused of those */
    uint32_t starts_fit, starts_fit_admitted, starts_fit_refused;
};

/* Time series of a few VMs, one row per trace sample (demand, allocation). */
struct bd_bench_series {
    size_t n_vm;         /* VMs recorded */
    size_t *vm_idx;      /* which */
    uint64_t *alloc_kib; /* n_samples x n_vm (pages held at sample end) */
};

/* The model's constants (MODEL.md). */
#define BD_BENCH_MIN_KIB (128 * UINT64_C(1024)) /* per-VM min, or max */
#define BD_BENCH_STEP_MS 1000                   /* baselines' sim step */

/*
 * The v2 host for a trace at capacity_kib: VM i is domid i + 1, named
 * "vm<ID>", static-max = provisioned, boots at min(max, C / N), demand =
 * the trace, a Linux guest's kernel overhead, swap = static-max, and
 * reports in format rep.  Returns 0 or -errno.
 */
int bd_bench_sim_new(const struct bd_trace *t, uint64_t capacity_kib,
                     int rep, struct bd_sim **out);

/* The per-VM min of the model: min(BD_BENCH_MIN_KIB, max). */
uint64_t bd_bench_min_kib(uint64_t max_kib);
/* What the bound gives a VM of static-max max_kib with this demand: its
 * demand plus its kernel's overhead, within [min, max]. */
uint64_t bd_bench_oracle_kib(uint64_t demand_kib, uint64_t max_kib);

/* Run one policy at one capacity over the whole trace (or its first
 * limit_ms of virtual time, 0 = all).  series may be NULL. */
int bd_bench_run(const struct bd_trace *t, enum bd_bench_policy pol,
                 uint64_t capacity_kib, uint64_t limit_ms,
                 struct bd_bench_result *res, struct bd_bench_series *series);

/* ---- baselines.c: controllers that act on a sim ---------------------- */
struct bd_baseline;
/* A controller for policy pol (static, squeezed or qmemman) of the VMs
 * of t on sim; its min/max per VM are the model's.  -ENOMEM, -EINVAL. */
int bd_baseline_new(enum bd_bench_policy pol, const struct bd_trace *t,
                    struct bd_baseline **out);
void bd_baseline_free(struct bd_baseline *b);
/* Called after every sim step (now_ms = sim time), with whether a
 * watched report key changed since the last call.  0 or -errno. */
int bd_baseline_tick(struct bd_baseline *b, struct bd_sim *sim,
                     uint64_t now_ms, bool reports_changed);
/* A VM start needs need_kib free: one round of the policy's own way of
 * making room (static: none; squeezed: a reservation its plan keeps free;
 * qmemman: donors down toward pref, as its balloon request does), called
 * every step while the start waits; *free_now when the memory is free.
 * need_kib 0: the start is over (admitted or failed).  0, 1 when the
 * policy refuses the start at once (qmemman: nobody to give), or -errno. */
int bd_baseline_request(struct bd_baseline *b, struct bd_sim *sim,
                        uint64_t need_kib, bool *free_now);

/* ---- starts.c: VM starts in the trace run ----------------------------- */
#define BD_BENCH_START_WAIT_MS 10000 /* admitted within this, or failed */
#define BD_BENCH_MAX_STARTS 512      /* 30 days at one per 2 h: 360 */
#define BD_BENCH_MAX_LIVE 4

struct bd_bench_starts {
    uint64_t next_ms;             /* when the next start is asked for */
    bool waiting;                 /* one is asked for, not yet admitted */
    uint64_t req_ms, size_kib, need_kib; /* the one asked for */
    uint64_t res_id;              /* balloond: its reservation */
    struct {
        uint32_t domid;
        uint64_t end_ms;
    } live[BD_BENCH_MAX_LIVE];    /* started VMs still running */
    size_t n_live;
    uint32_t requested, admitted, refused; /* refused: at once, cleanly */
    bool fits;                    /* the bound says the one asked for fits */
    uint32_t fit, fit_admitted, fit_refused; /* of those that fit */
    uint64_t wait_ms[BD_BENCH_MAX_STARTS]; /* of the admitted ones */
};

/* Start the schedule at the first start, or with none when !on. */
void bd_bench_starts_init(struct bd_bench_starts *s, bool on);
/* What Xen needs free to build a VM of size_kib (overhead counted). */
uint64_t bd_bench_start_need_kib(uint64_t size_kib);
/* Whether a start is asked for now (then s->need_kib says what it needs,
 * s->waiting is set and s->fits says whether the bound fits it in sim's
 * capacity): one at a time, at its time. */
bool bd_bench_start_due(struct bd_bench_starts *s, const struct bd_sim *sim,
                        uint64_t now_ms);
/* The one asked for waited BD_BENCH_START_WAIT_MS: it failed. */
bool bd_bench_start_expired(const struct bd_bench_starts *s, uint64_t now_ms);
/* It failed: refused at once (the policy said it cannot fit), or not. */
void bd_bench_start_fail(struct bd_bench_starts *s, bool refused);
/* The policy has its memory free: build the VM (reports in reporter's
 * format; a build that finds too little free is a failed start).  0 or
 * -errno. */
int bd_bench_start_admit(struct bd_bench_starts *s, struct bd_sim *sim,
                         uint64_t now_ms, int reporter);
/* Destroy the started VMs whose time is up.  0 or -errno. */
int bd_bench_starts_reap(struct bd_bench_starts *s, struct bd_sim *sim,
                         uint64_t now_ms);
/* The figures into res (sorts s->wait_ms). */
void bd_bench_starts_result(struct bd_bench_starts *s,
                            struct bd_bench_result *res);

/* ---- run.c: what every simulated run shares --------------------------- */
struct bd_bench_obs {
    const struct bd_trace *t;
    struct bd_bench_series *series; /* or NULL */
    uint64_t violations;            /* targets outside [min, max] seen */
};
/* Look at sim now (call at least once per trace sample, after the
 * step): records the series at sample ends, checks every target. */
void bd_bench_observe(struct bd_bench_obs *o, const struct bd_sim *sim);
/* The metrics of a finished run from the sim's per-guest counters. */
void bd_bench_collect(const struct bd_sim *sim, const struct bd_bench_obs *o,
                      struct bd_bench_result *res);

/* ---- run_balloond.c --------------------------------------------------- */
/* The real daemon (bd_cycle() via bd_simrun) on sim (owned) until end_ms
 * of virtual time, default configuration but reserve = 0, the VM starts
 * of st admitted through its own reservations (what `balloonctl create`
 * asks for); fills res. */
int bd_bench_run_balloond(struct bd_sim *sim, struct bd_bench_obs *o,
                          uint64_t end_ms, struct bd_bench_starts *st,
                          struct bd_bench_result *res);

/* ---- cost.c ----------------------------------------------------------- */
/* Time the daemon's whole cycle and count host reads/writes at 50, 1,000
 * and 4,096 domains; prints a table and writes DIR/cost.csv. */
int bd_bench_cost(const char *out_dir);

#endif /* BD_BENCH_H */
