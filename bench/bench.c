/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench.c - `make bench`: every policy at every capacity on a trace, on
 * the v2 model (bench/MODEL.md).
 *
 * Usage: bench [--trace FILE] [--meta FILE] [--out DIR]
 *              [--capacities G,G,...] [--series-capacity G] [--jobs N]
 *              [--days D] [--no-search] [--no-timing] [--timing-only]
 *              [--speeds tcg|hw] [--no-starts]
 *
 * Design: one (policy, capacity) run is independent of the others, so
 * runs are forked onto --jobs processes (default: online CPUs); each
 * child writes its result line to a file in DIR and the parent collects
 * them in a fixed order, so the output does not depend on scheduling.
 * After the table, each policy's smallest capacity (to 0.5 GiB) with a
 * shortfall of at most 0.1 % of demand is found by bisection between the
 * table's capacities, one round of parallel runs per step.  balloond,
 * qmemman and squeezed also run without the VM starts (ns_pol): that run
 * is the one held against oracle-min, which knows nothing of starts, and
 * the difference is what the admissions cost.  Outputs in
 * DIR: results.csv, smallest.csv, series.csv (demand and allocation of a
 * few VMs at the series capacity), cost.csv (cost.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "sim/sim.h"

#define GIB (UINT64_C(1024) * 1024)
#define MIB UINT64_C(1024)

struct job {
    enum bd_bench_policy pol;
    uint64_t cap_kib;
    bool series;
    bool no_starts; /* the run without the VM starts */
};

/* The policies also run without the VM starts, like for like with
 * oracle-min (which knows nothing of starts): the difference is the
 * shortfall their admissions caused to the running VMs. */
static const enum bd_bench_policy ns_pol[] = {BP_BALLOOND, BP_QMEMMAN,
                                              BP_SQUEEZED};
#define N_NS (sizeof(ns_pol) / sizeof(ns_pol[0]))

static const char *out_dir = "bench/out";
static uint64_t limit_ms; /* --days: only the trace's first days */

/* DIR/name opened for writing, NULL (errno set) on failure. */
static FILE *out_open(const char *name)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", out_dir, name);
    return fopen(path, "w");
}

static void part_path(char *buf, size_t len, size_t j)
{
    snprintf(buf, len, "%s/.part-%zu", out_dir, j);
}

static int write_series(const struct bd_trace *t,
                        const struct bd_bench_series *s, uint64_t cap_kib)
{
    FILE *f;

    f = out_open("series.csv");
    if (!f)
        return -errno;
    fprintf(f, "hours");
    for (size_t j = 0; j < s->n_vm; j++)
        fprintf(f, ",vm%" PRIu32 "_demand_gib,vm%" PRIu32 "_alloc_gib",
                t->vm_id[s->vm_idx[j]], t->vm_id[s->vm_idx[j]]);
    fprintf(f, "\n");
    for (size_t k = 0; k < t->n_samples; k++) {
        fprintf(f, "%.4f", (double)(k * t->step_s) / 3600.0);
        for (size_t j = 0; j < s->n_vm; j++)
            fprintf(f, ",%.4f,%.4f",
                    (double)t->use_kib[k * t->n_vm + s->vm_idx[j]] / GIB,
                    (double)s->alloc_kib[k * s->n_vm + j] / GIB);
        fprintf(f, "\n");
    }
    if (fclose(f))
        return -errno;
    f = out_open("series.cap");
    if (!f)
        return -errno;
    fprintf(f, "%.0f\n", (double)cap_kib / GIB);
    return fclose(f) ? -errno : 0;
}

/* The VMs with the largest peaks: the interesting ones to plot. */
static int pick_series(const struct bd_trace *t, struct bd_bench_series *s)
{
    size_t want = t->n_vm < 4 ? t->n_vm : 4;
    uint64_t *peak = calloc(t->n_vm, sizeof(*peak));

    s->n_vm = want;
    s->vm_idx = calloc(want, sizeof(*s->vm_idx));
    s->alloc_kib = calloc(t->n_samples * want, sizeof(*s->alloc_kib));
    if (!peak || !s->vm_idx || !s->alloc_kib) {
        free(peak);
        return -ENOMEM;
    }
    for (size_t k = 0; k < t->n_samples; k++)
        for (size_t i = 0; i < t->n_vm; i++)
            if (t->use_kib[k * t->n_vm + i] > peak[i])
                peak[i] = t->use_kib[k * t->n_vm + i];
    for (size_t j = 0; j < want; j++) {
        size_t best = 0;
        for (size_t i = 1; i < t->n_vm; i++)
            if (peak[i] > peak[best])
                best = i;
        s->vm_idx[j] = best;
        peak[best] = 0;
    }
    free(peak);
    return 0;
}

static int run_job(const struct bd_trace *t, const struct job *jb, size_t j)
{
    struct bd_bench_result res;
    struct bd_bench_series s = {0};
    struct bd_trace tt = *t;
    char path[4096];
    FILE *f;
    int rc;

    tt.no_starts = t->no_starts || jb->no_starts;
    t = &tt;
    if (jb->series) {
        rc = pick_series(t, &s);
        if (rc)
            return rc;
    }
    rc = bd_bench_run(t, jb->pol, jb->cap_kib, limit_ms, &res,
                      jb->series ? &s : NULL);
    if (rc == 0 && jb->series)
        rc = write_series(t, &s, jb->cap_kib);
    free(s.vm_idx);
    free(s.alloc_kib);
    if (rc)
        return rc;
    part_path(path, sizeof(path), j);
    f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "%s,%.3f,%.9f,%.6f,%.4f,%.4f,%.4f,%.4f,%" PRIu64 ",%.6f,%u,%u,"
               "%u,%" PRIu64 ",%" PRIu64 ",%u,%u,%u,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,"
               "%d\n",
            bd_bench_policy_name[jb->pol], (double)jb->cap_kib / GIB,
            res.shortfall_gib_h, res.shortfall_pct, res.pressured_pct,
            res.low_headroom_pct,
            res.churn_per_vm_h, res.idle_gib, res.violations, res.demand_gib_h,
            res.starts, res.starts_admitted, res.starts_refused,
            res.start_p50_ms,
            res.start_p99_ms, res.starts_fit, res.starts_fit_admitted,
            res.starts_fit_refused, res.cause_gib_h[0], res.cause_gib_h[1],
            res.cause_gib_h[2], res.cause_gib_h[3], res.cause_gib_h[4],
            res.cause_gib_h[5], t->no_starts ? 1 : 0);
    return fclose(f) ? -errno : 0;
}

static int run_all(const struct bd_trace *t, const struct job *jobs,
                   size_t n_jobs, unsigned n_par)
{
    size_t next = 0, running = 0;
    int failed = 0;

    while (next < n_jobs || running > 0) {
        while (running < n_par && next < n_jobs) {
            pid_t pid = fork();
            if (pid < 0)
                return -errno;
            if (pid == 0) {
                int rc = run_job(t, &jobs[next], next);
                if (rc)
                    fprintf(stderr, "bench: %s at %.0f GiB: %s\n",
                            bd_bench_policy_name[jobs[next].pol],
                            (double)jobs[next].cap_kib / GIB, strerror(-rc));
                _exit(rc ? 1 : 0);
            }
            next++;
            running++;
        }
        int st;
        pid_t p = wait(&st);
        if (p < 0)
            return -errno;
        running--;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed = 1;
    }
    return failed ? -EIO : 0;
}

/* ---- table --------------------------------------------------------------- */

struct row {
    char policy[16];
    double cap, sf, sf_pct, press, low, churn, idle, demand;
    uint64_t viol;
    unsigned starts, admitted, refused; /* VM starts asked, admitted in
                                           10 s, refused at once */
    uint64_t p50_ms, p99_ms;      /* their wait */
    unsigned fit, fit_admitted, fit_refused; /* of those the bound fits */
    double cause[BD_BENCH_CAUSES]; /* the shortfall by cause, GiB-h */
    int no_starts;                 /* a run without the VM starts */
};

static int collect(size_t n_jobs, struct row *rows)
{
    char path[4096], line[512];

    for (size_t j = 0; j < n_jobs; j++) {
        FILE *f;
        part_path(path, sizeof(path), j);
        f = fopen(path, "r");
        if (!f || !fgets(line, sizeof(line), f) ||
            sscanf(line,
                   "%15[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf,%" SCNu64 ",%lf,%u,%u,"
                   "%u,%" SCNu64 ",%" SCNu64 ",%u,%u,%u,%lf,%lf,%lf,%lf,%lf,%lf,%d",
                   rows[j].policy, &rows[j].cap, &rows[j].sf, &rows[j].sf_pct,
                   &rows[j].press, &rows[j].low, &rows[j].churn, &rows[j].idle,
                   &rows[j].viol, &rows[j].demand, &rows[j].starts,
                   &rows[j].admitted, &rows[j].refused, &rows[j].p50_ms,
                   &rows[j].p99_ms, &rows[j].fit, &rows[j].fit_admitted,
                   &rows[j].fit_refused, &rows[j].cause[0], &rows[j].cause[1],
                   &rows[j].cause[2], &rows[j].cause[3], &rows[j].cause[4],
                   &rows[j].cause[5], &rows[j].no_starts) != 25) {
            if (f)
                fclose(f);
            fprintf(stderr, "bench: missing result %s\n", path);
            return -EIO;
        }
        fclose(f);
        unlink(path);
    }
    return 0;
}

static void fmt_opt(char *buf, size_t len, double v, const char *fmt)
{
    if (v < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, fmt, v);
}

/* The row of policy pol among the n rows at rows, NULL if none. */
static const struct row *row_of(const struct row *rows, size_t n,
                                enum bd_bench_policy pol)
{
    for (size_t q = 0; q < n; q++)
        if (!strcmp(rows[q].policy, bd_bench_policy_name[pol]))
            return &rows[q];
    return NULL;
}

/* The aims at one capacity (rows: its n_pol rows with the starts, ns: its
 * N_NS rows without, or NULL): balloond <= 1.1 x oracle-min where the
 * bound's shortfall is above 0.001 %, compared like for like (without
 * the starts, which oracle-min knows nothing of); churn < 6 per VM-hour
 * and no violation in every run.  1 when one is missed. */
static int aims(const struct row *rows, size_t n_pol, const struct row *ns)
{
    const struct row *b = row_of(rows, n_pol, BP_BALLOOND);
    const struct row *om = row_of(rows, n_pol, BP_ORACLE_MIN);
    const struct row *bn = ns ? row_of(ns, N_NS, BP_BALLOOND) : NULL;
    const struct row *cmp;

    if (!b || !om)
        return 0;
    cmp = bn ? bn : b;
    bool bound_counts = om->sf_pct > 0.001;
    bool sf_ok = !bound_counts || cmp->sf <= 1.1 * om->sf;
    double churn = bn && bn->churn > b->churn ? bn->churn : b->churn;
    bool churn_ok = churn < 6;
    uint64_t viol = b->viol + (bn ? bn->viol : 0);

    printf("  -> balloond%s %.3f GiB-h vs oracle-min %.3f (aim <= 1.1 x%s): "
           "%s", bn ? " without starts" : "", cmp->sf, om->sf,
           bound_counts ? "" : ", not counted: bound <= 0.001 %",
           sf_ok ? "met" : "MISSED");
    if (om->sf > 0)
        printf(" (%.2f x)", cmp->sf / om->sf);
    printf("; churn %.2f/VM-h %s; violations %" PRIu64 "\n", churn,
           churn_ok ? "< 6" : ">= 6 MISSED", viol);
    return !sf_ok || !churn_ok || viol;
}

/* Without the VM starts, like for like with the bound, and what the
 * admissions cost: the shortfall with the starts less the one without
 * (the running VMs paid it, or the started ones did not fit). */
static void report_admission(const struct row *rows, const struct row *ns,
                             size_t n_caps, size_t n_pol)
{
    printf("\nWithout the VM starts (like for like with oracle-min), and the "
           "shortfall the admissions caused (with starts less without):\n"
           "%-10s %6s %12s %10s %9s %12s %11s %9s\n", "policy", "C GiB",
           "short GiB-h", "short %", "x bound", "with starts", "admission",
           "admitted");
    for (size_t c = 0; c < n_caps; c++) {
        const struct row *om = row_of(&rows[c * n_pol], n_pol, BP_ORACLE_MIN);
        for (size_t k = 0; k < N_NS; k++) {
            const struct row *r = &ns[c * N_NS + k];
            const struct row *w = row_of(&rows[c * n_pol], n_pol, ns_pol[k]);
            char x[16];
            if (!w)
                continue;
            fmt_opt(x, sizeof(x),
                    om && om->sf > 0 ? r->sf / om->sf : -1, "%.2f");
            printf("%-10s %6g %12.3f %10.4f %9s %12.3f %11.3f %8.1f%%\n",
                   r->policy, r->cap, r->sf, r->sf_pct, x, w->sf, w->sf - r->sf,
                   w->starts ? 100.0 * w->admitted / w->starts : 0.0);
        }
    }
}

/* balloond's shortfall by cause per capacity, as shares of it, for the
 * breakdown plot (plot.gp). */
static int write_causes_dat(const struct row *rows, size_t n_caps,
                            size_t n_pol)
{
    FILE *f;

    f = out_open("causes.dat");
    if (!f)
        return -errno;
    fprintf(f, "capacity_gib");
    for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
        fprintf(f, " %s", bd_bench_cause_name[k]);
    fprintf(f, "\n");
    for (size_t c = 0; c < n_caps; c++) {
        const struct row *b = row_of(&rows[c * n_pol], n_pol, BP_BALLOOND);
        double sum = 0;
        if (!b)
            continue;
        for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
            sum += b->cause[k];
        fprintf(f, "%g", b->cap);
        for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
            fprintf(f, " %.3f", sum > 0 ? 100.0 * b->cause[k] / sum : 0.0);
        fprintf(f, "\n");
    }
    return fclose(f) ? -errno : 0;
}

/* One results.csv line. */
static void csv_row(FILE *f, const struct row *r)
{
    char p1[16], p2[16], p3[16], p4[16];

    fmt_opt(p1, sizeof(p1), r->press, "%.3f");
    fmt_opt(p4, sizeof(p4), r->low, "%.3f");
    fmt_opt(p2, sizeof(p2), r->churn, "%.2f");
    fmt_opt(p3, sizeof(p3), r->idle, "%.2f");
    fprintf(f, "%s,%d,%g,%.4f,%.5f,%s,%s,%s,%s,%" PRIu64 ",%u,%u,%u,%.1f,"
               "%.1f,%u,%u,%u",
            r->policy, !r->no_starts, r->cap, r->sf, r->sf_pct, p1, p4, p2,
            p3, r->viol, r->starts, r->admitted, r->refused,
            (double)r->p50_ms / 1000, (double)r->p99_ms / 1000, r->fit,
            r->fit_admitted, r->fit_refused);
    for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
        fprintf(f, ",%.4f", r->cause[k]);
    fprintf(f, "\n");
}

/* VM starts (one every 2 h of the trace, 512M to 4G in turn): how many
 * were admitted within 10 s, and how long they waited. */
static void report_starts(const struct row *rows, size_t n_caps,
                          size_t n_pol)
{
    printf("\nVM starts (512M, 1G, 2G, 4G in turn, every 2 h; admitted "
           "within 10 s, or refused at once; fit: the bound fits them, and "
           "of those admitted and refused):\n%-10s %6s %7s %9s %8s %9s "
           "%9s %5s %9s %8s\n", "policy", "C GiB", "starts", "admitted",
           "refused", "wait p50", "wait p99", "fit", "fit-adm", "fit-ref");
    for (size_t c = 0; c < n_caps; c++)
        for (size_t q = 0; q < n_pol; q++) {
            const struct row *r = &rows[c * n_pol + q];
            if (!strcmp(r->policy, "oracle-min"))
                continue;
            printf("%-10s %6g %7u %8.1f%% %7.1f%% %8.1fs %8.1fs %5u %8.1f%% "
                   "%7.1f%%\n",
                   r->policy, r->cap, r->starts,
                   r->starts ? 100.0 * r->admitted / r->starts : 0.0,
                   r->starts ? 100.0 * r->refused / r->starts : 0.0,
                   (double)r->p50_ms / 1000, (double)r->p99_ms / 1000, r->fit,
                   r->fit ? 100.0 * r->fit_admitted / r->fit : 0.0,
                   r->fit ? 100.0 * r->fit_refused / r->fit : 0.0);
        }
    printf("\n");
}

/* Where each policy's shortfall comes from (sim.h, struct bd_sim_stats):
 * the cause a change must remove. */
static void report_causes(const struct row *rows, size_t n_caps, size_t n_pol)
{
    printf("\nShortfall by cause, GiB-h (over-max: beyond static-max; unseen: "
           "not reported since it rose; waits: reported, memory free, target "
           "not moved since; capped: moved since, not far enough; moving: the "
           "balloon is on its way; not-free: the host had it not free):\n"
           "%-10s %6s", "policy", "C GiB");
    for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
        printf(" %9s", bd_bench_cause_name[k]);
    printf("\n");
    for (size_t c = 0; c < n_caps; c++)
        for (size_t q = 0; q < n_pol; q++) {
            const struct row *r = &rows[c * n_pol + q];
            if (!strcmp(r->policy, "oracle-min") || !strcmp(r->policy, "static"))
                continue;
            printf("%-10s %6g", r->policy, r->cap);
            for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
                printf(" %9.3f", r->cause[k]);
            printf("\n");
        }
}

/* The tables (rows: n_caps x n_pol with the starts; ns: n_caps x N_NS
 * without, or NULL), results.csv and the plots' data. */
static int report(const struct row *rows, const struct row *ns,
                  size_t n_caps, size_t n_pol)
{
    FILE *f;
    int misses = 0;

    f = out_open("results.csv");
    if (!f)
        return -errno;
    fprintf(f, "policy,with_starts,capacity_gib,shortfall_gib_h,shortfall_pct,"
               "pressured_pct,low_headroom_pct,churn_per_vm_h,idle_gib,"
               "violations,starts,"
               "starts_admitted_10s,starts_refused,start_wait_p50_s,"
               "start_wait_p99_s,starts_fit,starts_fit_admitted,"
               "starts_fit_refused");
    for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
        fprintf(f, ",short_%s_gib_h", bd_bench_cause_name[k]);
    fprintf(f, "\n");
    for (size_t j = 0; ns && j < n_caps * N_NS; j++)
        csv_row(f, &ns[j]);
    printf("%-10s %6s %12s %10s %10s %9s %10s %9s %5s\n", "policy", "C GiB",
           "short GiB-h", "short %", "pressured%", "low-hr %", "churn/VM-h",
           "idle GiB", "viol");
    for (size_t c = 0; c < n_caps; c++) {
        for (size_t q = 0; q < n_pol; q++) {
            const struct row *r = &rows[c * n_pol + q];
            char p1[16], p2[16], p3[16], p4[16];
            fmt_opt(p1, sizeof(p1), r->press, "%.3f");
            fmt_opt(p4, sizeof(p4), r->low, "%.3f");
            fmt_opt(p2, sizeof(p2), r->churn, "%.2f");
            fmt_opt(p3, sizeof(p3), r->idle, "%.2f");
            csv_row(f, r);
            printf("%-10s %6g %12.3f %10.4f %10s %9s %10s %9s %5" PRIu64 "\n",
                   r->policy, r->cap, r->sf, r->sf_pct, p1, p4, p2, p3,
                   r->viol);
        }
        misses += aims(&rows[c * n_pol], n_pol, ns ? &ns[c * N_NS] : NULL);
    }
    if (fclose(f))
        return -errno;
    report_starts(rows, n_caps, n_pol);
    if (ns)
        report_admission(rows, ns, n_caps, n_pol);
    report_causes(rows, n_caps, n_pol);
    int rc = write_causes_dat(rows, n_caps, n_pol);
    if (rc)
        return rc;
    /* the same figures laid out for gnuplot: one line per capacity */
    f = out_open("shortfall.dat");
    if (!f)
        return -errno;
    fprintf(f, "capacity_gib");
    for (size_t q = 0; q < n_pol; q++)
        fprintf(f, " %s", rows[q].policy);
    fprintf(f, "\n");
    for (size_t c = 0; c < n_caps; c++) {
        fprintf(f, "%g", rows[c * n_pol].cap);
        for (size_t q = 0; q < n_pol; q++)
            fprintf(f, " %.6f", rows[c * n_pol + q].sf_pct);
        fprintf(f, "\n");
    }
    if (fclose(f))
        return -errno;
    printf("aims missed at %d capacit%s\n", misses, misses == 1 ? "y" : "ies");
    return 0;
}

/* ---- smallest capacity for a 0.1 % shortfall -------------------------- */

#define SMALL_PCT 0.1
#define HALF_GIB (GIB / 2)

struct search {
    enum bd_bench_policy pol;
    bool no_starts;
    const struct row *tab; /* its rows in the table: tab[c * stride] */
    size_t stride;
    uint64_t lo, hi; /* lo fails (0 = unknown), hi meets (0 = none yet) */
    bool done;
};

static bool meets(const struct row *r)
{
    return r->sf_pct <= SMALL_PCT;
}

static uint64_t half_steps(uint64_t kib)
{
    return (kib + HALF_GIB - 1) / HALF_GIB;
}

/* Bracket each search from its rows in the table; an unbracketed one is
 * tried at ub_kib (every VM's max fits) first. */
static void bracket(struct search *s, size_t n_s, size_t n_caps,
                    uint64_t ub_kib)
{
    for (size_t k = 0; k < n_s; k++) {
        s[k].lo = HALF_GIB / 2;
        s[k].hi = 0;
        for (size_t c = 0; c < n_caps; c++) {
            const struct row *r = &s[k].tab[c * s[k].stride];
            uint64_t cap = (uint64_t)(r->cap * (double)GIB + 0.5);
            if (meets(r) && (!s[k].hi || cap < s[k].hi))
                s[k].hi = cap;
        }
        for (size_t c = 0; c < n_caps; c++) {
            const struct row *r = &s[k].tab[c * s[k].stride];
            uint64_t cap = (uint64_t)(r->cap * (double)GIB + 0.5);
            if (!meets(r) && cap > s[k].lo && (!s[k].hi || cap < s[k].hi))
                s[k].lo = cap;
        }
        if (!s[k].hi)
            s[k].hi = half_steps(ub_kib) * HALF_GIB; /* tried first */
    }
}

/* The searches: every policy with the starts, and those of ns_pol
 * without them (ns: their rows, or NULL). */
static size_t searches(struct search *s, const struct row *rows,
                       const struct row *ns, size_t n_pol)
{
    size_t n_s = 0;

    for (size_t q = 0; q < n_pol; q++)
        s[n_s++] = (struct search){.pol = (enum bd_bench_policy)q,
                                   .tab = &rows[q], .stride = n_pol};
    for (size_t k = 0; ns && k < N_NS; k++)
        s[n_s++] = (struct search){.pol = ns_pol[k], .no_starts = true,
                                   .tab = &ns[k], .stride = N_NS};
    return n_s;
}

static int search_smallest(const struct bd_trace *t, const struct row *rows,
                           const struct row *ns, size_t n_caps, size_t n_pol,
                           unsigned par)
{
    struct search s[BP_COUNT + N_NS];
    struct job jobs[BP_COUNT + N_NS];
    struct row res[BP_COUNT + N_NS];
    uint64_t ub = 0;
    bool first = true;
    size_t n_s;
    FILE *f;
    int rc = 0;

    for (size_t i = 0; i < t->n_vm; i++)
        ub += t->max_kib[i];
    n_s = searches(s, rows, ns, n_pol);
    bracket(s, n_s, n_caps, ub);
    for (;;) {
        size_t n_jobs = 0, idx[BP_COUNT + N_NS];
        for (size_t k = 0; k < n_s; k++) {
            bool unproven = first && s[k].hi == half_steps(ub) * HALF_GIB;
            if (s[k].done || (!unproven && half_steps(s[k].hi) -
                                                   half_steps(s[k].lo) <= 1)) {
                s[k].done = true;
                continue;
            }
            jobs[n_jobs].pol = s[k].pol;
            jobs[n_jobs].series = false;
            jobs[n_jobs].no_starts = s[k].no_starts;
            jobs[n_jobs].cap_kib =
                unproven ? s[k].hi
                         : (half_steps(s[k].lo) + half_steps(s[k].hi)) / 2 *
                               HALF_GIB;
            idx[n_jobs++] = k;
        }
        first = false;
        if (!n_jobs)
            break;
        rc = run_all(t, jobs, n_jobs, par);
        if (rc == 0)
            rc = collect(n_jobs, res);
        if (rc)
            return rc;
        for (size_t j = 0; j < n_jobs; j++) {
            struct search *x = &s[idx[j]];
            if (meets(&res[j]))
                x->hi = jobs[j].cap_kib;
            else if (jobs[j].cap_kib == x->hi) {
                x->hi = 0; /* not even with every max */
                x->done = true;
            } else
                x->lo = jobs[j].cap_kib;
        }
    }
    f = out_open("smallest.csv");
    if (!f)
        return -errno;
    fprintf(f, "policy,with_starts,smallest_capacity_gib\n");
    printf("\nSmallest capacity (to 0.5 GiB) with shortfall <= %.1f %% of "
           "demand:\n", SMALL_PCT);
    for (size_t k = 0; k < n_s; k++) {
        const char *tag = s[k].no_starts ? " without starts" : "";
        fprintf(f, "%s,%d,", bd_bench_policy_name[s[k].pol], !s[k].no_starts);
        if (s[k].hi) {
            printf("  %-10s %6.1f GiB%s\n", bd_bench_policy_name[s[k].pol],
                   (double)s[k].hi / GIB, tag);
            fprintf(f, "%.1f\n", (double)s[k].hi / GIB);
        } else {
            printf("  %-10s none up to %.1f GiB (every VM's max)%s\n",
                   bd_bench_policy_name[s[k].pol],
                   (double)(half_steps(ub) * HALF_GIB) / GIB, tag);
            fprintf(f, "\n");
        }
    }
    return fclose(f) ? -errno : 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench [--trace FILE] [--meta FILE] [--out DIR]\n"
               "             [--capacities G,G,...] [--series-capacity G]\n"
               "             [--jobs N] [--days D] [--no-search]\n"
               "             [--no-timing] [--timing-only] [--speeds tcg|hw]\n"
               "             [--no-starts]\n");
}

static int parse_caps(const char *caps_s, double *caps, size_t *n_caps)
{
    const char *p = caps_s;

    *n_caps = 0;
    while (*p && *n_caps < 32) {
        char *e;
        double v = strtod(p, &e);
        if (e == p || v <= 0 || (*e && *e != ',')) {
            fprintf(stderr, "bench: bad --capacities %s\n", caps_s);
            return -EINVAL;
        }
        caps[(*n_caps)++] = v;
        p = *e ? e + 1 : e;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *trace =
        "../shared/traces/bitbrains-rnd/sample-50vms-5min.csv.gz";
    const char *meta = "../shared/traces/bitbrains-rnd/sample-50vms-meta.csv";
    const char *caps_s = "119,48,40,36,32,28,24";
    double caps[32], series_cap = 28;
    size_t n_caps = 0, n_jobs;
    long jobs_opt = 0;
    bool timing = true, timing_only = false, search = true, starts = true;
    enum bd_cal_profile speeds = BD_CAL_HW;
    struct bd_trace t;
    struct job *jobs = NULL;
    struct row *rows = NULL;
    const size_t n_pol = BP_COUNT;
    static const struct option opts[] = {
        {"trace", required_argument, NULL, 't'},
        {"meta", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},
        {"capacities", required_argument, NULL, 'c'},
        {"series-capacity", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'},
        {"days", required_argument, NULL, 'd'},
        {"no-search", no_argument, NULL, 'S'},
        {"no-timing", no_argument, NULL, 'n'},
        {"timing-only", no_argument, NULL, 'T'},
        {"speeds", required_argument, NULL, 'p'},
        {"no-starts", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            trace = optarg;
            break;
        case 'm':
            meta = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'c':
            caps_s = optarg;
            break;
        case 's':
            series_cap = strtod(optarg, NULL);
            break;
        case 'j':
            jobs_opt = strtol(optarg, NULL, 10);
            break;
        case 'd':
            limit_ms = (uint64_t)(strtod(optarg, NULL) * 86400000.0);
            break;
        case 'S':
            search = false;
            break;
        case 'n':
            timing = false;
            break;
        case 'T':
            timing_only = true;
            break;
        case 'p':
            if (strcmp(optarg, "tcg") && strcmp(optarg, "hw")) {
                fprintf(stderr, "bench: --speeds is tcg or hw, not %s\n", optarg);
                return 2;
            }
            speeds = strcmp(optarg, "tcg") ? BD_CAL_HW : BD_CAL_TCG;
            break;
        case 'N':
            starts = false;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (parse_caps(caps_s, caps, &n_caps))
        return 2;
    if (mkdir(out_dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "bench: %s: %s\n", out_dir, strerror(errno));
        return 1;
    }
    if (timing_only)
        return bd_bench_cost(out_dir) ? 1 : 0;

    rc = bd_trace_load(trace, meta, &t);
    if (rc)
        return 1;
    t.speeds = speeds;
    t.no_starts = !starts;
    printf("model: bench/calibration.csv; PV kernel overhead %" PRIu64
           " MiB at 1 GiB static-max, %" PRIu64 " at 16 GiB; balloons "
           "grow %" PRIu64 ", shrink %" PRIu64 " MiB/s (%s)\n",
           bd_sim_linux_overhead_kib(GIB) / 1024,
           bd_sim_linux_overhead_kib(16 * GIB) / 1024,
           bd_cal_balloon_kib_s(BD_CAL_PV, true, speeds) / 1024,
           bd_cal_balloon_kib_s(BD_CAL_PV, false, speeds) / 1024,
           speeds == BD_CAL_TCG ? "measured under TCG"
                                : "hardware estimate");
    printf("trace %s: %zu VMs, %zu samples every %" PRIu64 " s (%.1f days%s)\n",
           trace, t.n_vm, t.n_samples, t.step_s,
           (double)(t.n_samples * t.step_s) / 86400.0,
           limit_ms ? ", run on the first --days" : "");

    n_jobs = n_caps * n_pol + (starts ? n_caps * N_NS : 0);
    jobs = calloc(n_jobs, sizeof(*jobs));
    rows = calloc(n_jobs, sizeof(*rows));
    if (!jobs || !rows)
        return 1;
    for (size_t i = 0; i < n_caps; i++)
        for (size_t q = 0; q < n_pol; q++) {
            struct job *jb = &jobs[i * n_pol + q];
            jb->pol = (enum bd_bench_policy)q;
            jb->cap_kib = (uint64_t)(caps[i] * (double)GIB);
            jb->series = q == BP_BALLOOND && caps[i] == series_cap;
        }
    for (size_t i = 0; starts && i < n_caps; i++)
        for (size_t k = 0; k < N_NS; k++) {
            struct job *jb = &jobs[n_caps * n_pol + i * N_NS + k];
            jb->pol = ns_pol[k];
            jb->cap_kib = (uint64_t)(caps[i] * (double)GIB);
            jb->no_starts = true;
        }
    if (jobs_opt <= 0) {
        jobs_opt = sysconf(_SC_NPROCESSORS_ONLN);
        if (jobs_opt <= 0)
            jobs_opt = 1;
    }
    fflush(stdout);
    rc = run_all(&t, jobs, n_jobs, (unsigned)jobs_opt);
    if (rc == 0)
        rc = collect(n_jobs, rows);
    if (rc == 0)
        rc = report(rows, starts ? rows + n_caps * n_pol : NULL, n_caps,
                    n_pol);
    fflush(stdout);
    if (rc == 0 && search)
        rc = search_smallest(&t, rows, starts ? rows + n_caps * n_pol : NULL,
                             n_caps, n_pol, (unsigned)jobs_opt);
    fflush(stdout);
    if (rc == 0 && timing)
        rc = bd_bench_cost(out_dir);
    bd_trace_dispose(&t);
    free(jobs);
    free(rows);
    return rc ? 1 : 0;
}
