/*
 * bench.c - `make bench`: every policy at every capacity on a trace.
 *
 * Usage: bench [--trace FILE] [--meta FILE] [--out DIR]
 *              [--capacities G,G,...] [--series-capacity G] [--jobs N]
 *              [--no-timing] [--timing-only]
 *
 * Design: one (policy, capacity) run is independent of the others, so
 * runs are forked onto --jobs processes (default: online CPUs); each
 * child writes its result line to a file in DIR and the parent collects
 * them in a fixed order, so the output does not depend on scheduling.
 * Outputs in DIR: results.csv (one row per policy and capacity),
 * series.csv (demand and allocation of a few VMs at the series capacity,
 * one row per trace sample), timing.csv (bd_policy_plan() median ns).
 * The plan timing uses clock_gettime() here; the policy reads no clock.
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
#include "daemon/policy.h"

#define GIB (UINT64_C(1024) * 1024)
#define MIB UINT64_C(1024)

struct job {
    enum bd_bench_policy pol;
    uint64_t cap_kib;
    bool series;
};

static const char *out_dir = "bench/out";

static void part_path(char *buf, size_t len, size_t j)
{
    snprintf(buf, len, "%s/.part-%zu", out_dir, j);
}

static int write_series(const struct bd_trace *t,
                        const struct bd_bench_series *s, uint64_t cap_kib)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/series.csv", out_dir);
    f = fopen(path, "w");
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
    snprintf(path, sizeof(path), "%s/series.cap", out_dir);
    f = fopen(path, "w");
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
    char path[4096];
    FILE *f;
    int rc;

    if (jb->series) {
        rc = pick_series(t, &s);
        if (rc)
            return rc;
    }
    rc = bd_bench_run(t, jb->pol, jb->cap_kib, &res, jb->series ? &s : NULL);
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
    fprintf(f, "%s,%.3f,%.6f,%.6f,%.4f,%.4f,%.4f,%" PRIu64 ",%.6f\n",
            bd_bench_policy_name[jb->pol], (double)jb->cap_kib / GIB,
            res.shortfall_gib_h, res.shortfall_pct, res.pressured_pct,
            res.churn_per_vm_h, res.idle_gib, res.violations, res.demand_gib_h);
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

/* ---- bd_policy_plan() timing ------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A host whose guests want more than it has (tight: the fair split of a
 * tier runs), or one with twice their memory free (plenty: the shares of
 * spare memory run), with stats changing every plan so nothing is cached
 * by accident.  Returns the median ns of `reps` plans.
 */
static uint64_t time_plan(size_t n, int reps, bool tight)
{
    struct bd_policy_params p;
    struct bd_dom_input *in = calloc(n, sizeof(*in));
    struct bd_dom_track *tr = calloc(n, sizeof(*tr));
    struct bd_decision *dec = calloc(n, sizeof(*dec));
    size_t *order = calloc(n, sizeof(*order));
    uint64_t *ns = calloc((size_t)reps, sizeof(*ns));
    uint64_t seed = 0x9e3779b97f4a7c15ULL ^ n, cap = 0, med = 0;
    struct bd_host_input host = {0};

    if (!in || !tr || !dec || !order || !ns)
        goto out;
    bd_policy_params_default(&p);
    for (size_t i = 0; i < n; i++) {
        in[i].domid = (uint32_t)i + 1;
        in[i].static_max_kib = (1 + rng_next(&seed) % 16) * GIB;
        in[i].min_kib = 256 * MIB;
        in[i].max_kib = in[i].static_max_kib;
        in[i].weight = 50 + (uint32_t)(rng_next(&seed) % 200);
        in[i].current_kib = in[i].static_max_kib / 2;
        in[i].target_kib = in[i].current_kib;
        in[i].stats.present = true;
        in[i].stats.has_rates = true;
        in[i].stats.has_psi = true;
        cap += in[i].current_kib;
    }
    host.total_kib = tight ? cap : 2 * cap;
    host.free_kib = tight ? 0 : cap;
    for (int r = -5; r < reps; r++) {
        struct bd_plan plan = {.dec = dec, .order = order};
        uint64_t now = (uint64_t)(r + 6) * 5000, t0, t1;
        for (size_t i = 0; i < n; i++) {
            in[i].stats.time_ms = now;
            in[i].stats.used_kib =
                in[i].static_max_kib * (20 + rng_next(&seed) % 70) / 100;
            in[i].stats.psi_some_x100 = (uint32_t)(rng_next(&seed) % 400);
        }
        t0 = mono_ns();
        bd_policy_plan(&p, &host, in, tr, n, now, &plan);
        t1 = mono_ns();
        for (size_t i = 0; i < n; i++)
            in[i].target_kib = dec[i].target_kib;
        if (r >= 0)
            ns[r] = t1 - t0;
    }
    qsort(ns, (size_t)reps, sizeof(*ns), cmp_u64);
    med = ns[reps / 2];
out:
    free(in);
    free(tr);
    free(dec);
    free(order);
    free(ns);
    return med;
}

static int do_timing(void)
{
    static const size_t sizes[] = {50, 1000, 4096};
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/timing.csv", out_dir);
    f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "domains,median_ns_tight,median_ns_plenty\n");
    printf("\nbd_policy_plan() median ns per plan (201 plans; tight host: "
           "wants exceed memory; plenty: twice their memory free):\n");
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        uint64_t t1 = time_plan(sizes[k], 201, true);
        uint64_t t2 = time_plan(sizes[k], 201, false);
        uint64_t worst = t1 > t2 ? t1 : t2;
        fprintf(f, "%zu,%" PRIu64 ",%" PRIu64 "\n", sizes[k], t1, t2);
        printf(
            "  %5zu domains: tight %9" PRIu64 " ns, plenty %9" PRIu64 " ns%s\n",
            sizes[k], t1, t2,
            sizes[k] == 4096 ? (worst < 1000000 ? "  (< 1 ms)" : "  (>= 1 ms!)")
                             : "");
    }
    return fclose(f) ? -errno : 0;
}

/* ---- table --------------------------------------------------------------- */

struct row {
    char policy[16];
    double cap, sf, sf_pct, press, churn, idle, demand;
    uint64_t viol;
};

static int collect(size_t n_jobs, struct row *rows)
{
    char path[4096], line[512];

    for (size_t j = 0; j < n_jobs; j++) {
        FILE *f;
        part_path(path, sizeof(path), j);
        f = fopen(path, "r");
        if (!f || !fgets(line, sizeof(line), f) ||
            sscanf(line, "%15[^,],%lf,%lf,%lf,%lf,%lf,%lf,%" SCNu64 ",%lf",
                   rows[j].policy, &rows[j].cap, &rows[j].sf, &rows[j].sf_pct,
                   &rows[j].press, &rows[j].churn, &rows[j].idle, &rows[j].viol,
                   &rows[j].demand) != 9) {
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

static int report(const struct row *rows, size_t n_caps, size_t n_pol)
{
    char path[4096];
    FILE *f;
    int misses = 0;

    snprintf(path, sizeof(path), "%s/results.csv", out_dir);
    f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "policy,capacity_gib,shortfall_gib_h,shortfall_pct,"
               "pressured_pct,churn_per_vm_h,idle_gib,violations\n");
    printf("%-10s %6s %12s %10s %10s %10s %9s %5s\n", "policy", "C GiB",
           "short GiB-h", "short %", "pressured%", "churn/VM-h", "idle GiB",
           "viol");
    for (size_t c = 0; c < n_caps; c++) {
        const struct row *o = NULL, *b = NULL;
        bool best = true;
        for (size_t q = 0; q < n_pol; q++) {
            const struct row *r = &rows[c * n_pol + q];
            char p1[16], p2[16], p3[16];
            fmt_opt(p1, sizeof(p1), r->press, "%.3f");
            fmt_opt(p2, sizeof(p2), r->churn, "%.2f");
            fmt_opt(p3, sizeof(p3), r->idle, "%.2f");
            fprintf(f, "%s,%.0f,%.4f,%.5f,%s,%s,%s,%" PRIu64 "\n", r->policy,
                    r->cap, r->sf, r->sf_pct, p1, p2, p3, r->viol);
            printf("%-10s %6.0f %12.3f %10.4f %10s %10s %9s %5" PRIu64 "\n",
                   r->policy, r->cap, r->sf, r->sf_pct, p1, p2, p3, r->viol);
            if (!strcmp(r->policy, "oracle"))
                o = r;
            if (!strcmp(r->policy, "balloond"))
                b = r;
        }
        if (o && b) {
            double bound = 1.5 * o->sf + 0.001 * o->demand;
            const struct row *om = NULL;
            for (size_t q = 0; q < n_pol; q++) {
                const struct row *r = &rows[c * n_pol + q];
                if (r != b && r != o && strcmp(r->policy, "oracle-min") &&
                    r->sf <= b->sf)
                    best = false;
            }
            for (size_t q = 0; q < n_pol; q++)
                if (!strcmp(rows[c * n_pol + q].policy, "oracle-min"))
                    om = &rows[c * n_pol + q];
            printf("  -> balloond %.3f GiB-h vs aim %.3f (1.5 x oracle + "
                   "0.1%% of demand): %s; %s; churn %s\n",
                   b->sf, bound, b->sf <= bound ? "met" : "MISSED",
                   best ? "below every other policy" : "NOT below all others",
                   b->churn < 6 ? "< 6/VM-h" : ">= 6/VM-h");
            if (om && b->sf > bound && om->sf > bound)
                printf("     (unreachable: even the oracle that keeps every "
                       "VM at its min falls %.3f GiB-h short; balloond is "
                       "%.2f%% above it)\n",
                       om->sf, 100.0 * (b->sf - om->sf) / om->sf);
            misses += b->sf > bound || !best || b->churn >= 6;
        }
    }
    if (fclose(f))
        return -errno;
    /* the same figures laid out for gnuplot: one line per capacity */
    snprintf(path, sizeof(path), "%s/shortfall.dat", out_dir);
    f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "capacity_gib");
    for (size_t q = 0; q < n_pol; q++)
        fprintf(f, " %s", rows[q].policy);
    fprintf(f, "\n");
    for (size_t c = 0; c < n_caps; c++) {
        fprintf(f, "%.0f", rows[c * n_pol].cap);
        for (size_t q = 0; q < n_pol; q++)
            fprintf(f, " %.6f", rows[c * n_pol + q].sf_pct);
        fprintf(f, "\n");
    }
    if (fclose(f))
        return -errno;
    printf("aims missed at %d capacit%s\n", misses, misses == 1 ? "y" : "ies");
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench [--trace FILE] [--meta FILE] [--out DIR]\n"
               "             [--capacities G,G,...] [--series-capacity G]\n"
               "             [--jobs N] [--no-timing] [--timing-only]\n");
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
    bool timing = true, timing_only = false;
    struct bd_trace t;
    struct job *jobs = NULL;
    struct row *rows = NULL;
    static const enum bd_bench_policy pols[] = {
        BP_BALLOOND, BP_STATIC, BP_SQUEEZED,
        BP_QMEMMAN,  BP_ORACLE, BP_ORACLE_MIN,
    };
    const size_t n_pol = sizeof(pols) / sizeof(pols[0]);
    static const struct option opts[] = {
        {"trace", required_argument, NULL, 't'},
        {"meta", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},
        {"capacities", required_argument, NULL, 'c'},
        {"series-capacity", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'},
        {"no-timing", no_argument, NULL, 'n'},
        {"timing-only", no_argument, NULL, 'T'},
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
        case 'n':
            timing = false;
            break;
        case 'T':
            timing_only = true;
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
    {
        const char *p = caps_s;
        while (*p && n_caps < 32) {
            char *e;
            double v = strtod(p, &e);
            if (e == p || v <= 0 || (*e && *e != ',')) {
                fprintf(stderr, "bench: bad --capacities %s\n", caps_s);
                return 2;
            }
            caps[n_caps++] = v;
            p = *e ? e + 1 : e;
        }
    }
    if (mkdir(out_dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "bench: %s: %s\n", out_dir, strerror(errno));
        return 1;
    }
    if (timing_only)
        return do_timing() ? 1 : 0;

    rc = bd_trace_load(trace, meta, &t);
    if (rc)
        return 1;
    printf("trace %s: %zu VMs, %zu samples every %" PRIu64 " s (%.1f days)\n",
           trace, t.n_vm, t.n_samples, t.step_s,
           (double)(t.n_samples * t.step_s) / 86400.0);

    n_jobs = n_caps * n_pol;
    jobs = calloc(n_jobs, sizeof(*jobs));
    rows = calloc(n_jobs, sizeof(*rows));
    if (!jobs || !rows)
        return 1;
    for (size_t i = 0; i < n_caps; i++)
        for (size_t q = 0; q < n_pol; q++) {
            struct job *jb = &jobs[i * n_pol + q];
            jb->pol = pols[q];
            jb->cap_kib = (uint64_t)(caps[i] * (double)GIB);
            jb->series = pols[q] == BP_BALLOOND && caps[i] == series_cap;
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
        rc = report(rows, n_caps, n_pol);
    if (rc == 0 && timing)
        rc = do_timing();
    bd_trace_dispose(&t);
    free(jobs);
    free(rows);
    return rc ? 1 : 0;
}
