/*
 * model.c - the benchmark's host model and the policies it compares.
 *
 * The model is exactly bench-model.md v1:
 *  - VM i: max_i = provisioned, min_i = min(128 MiB, max_i); demand d_i(t)
 *    is the trace's usage, held over each sample;
 *  - t = 0: actual_i = min(max_i, C / N), target_i = actual_i;
 *  - a tick every 5 s: the policy sees actual, last target, min, max, used
 *    = d_i(t), pressure = d_i(t) > actual_i, host free = C - sum(actual);
 *    targets take effect at once; a VM moves at most 200 MiB/s x 5 s per
 *    tick; shrinks first, then growth in VM order, each limited by the
 *    free memory left;
 *  - metrics after the move: shortfall, pressured time, churn (target
 *    changes that change something), idle memory, invariant violations.
 * Policies: balloond (the real bd_policy_plan(), default parameters, no
 * reserve since C is what the guests may have), static, squeezed's
 * published formula, qmemman's algorithm as published, and the oracle
 * bound (computed, not simulated).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "daemon/policy.h"

#define MIB UINT64_C(1024)
#define TICK_S 5
#define MOVE_KIB (200 * MIB * TICK_S)

const char *const bd_bench_policy_name[BP_COUNT] = {
    "balloond", "static", "squeezed", "qmemman", "oracle", "oracle-min",
};

struct vm {
    uint64_t min_kib, max_kib;
    uint64_t actual_kib, target_kib;
    uint64_t d_kib;
};

struct run {
    const struct bd_trace *t;
    size_t n;
    uint64_t cap_kib;
    struct vm *vm;
    uint64_t now_ms;
    /* balloond */
    struct bd_policy_params params;
    struct bd_dom_input *in;
    struct bd_dom_track *track;
    struct bd_decision *dec;
    size_t *order;
    /* qmemman */
    uint64_t *q_seen_used; /* used as last reported (30 MB rule) */
    uint64_t *new_target;
    /* BENCH_DEBUG=1: balloond's writes counted by reason */
    bool debug;
    size_t n_dbg;
    char dbg_key[64][40];
    uint64_t dbg_cnt[64];
    double dbg_lag, dbg_over, dbg_free_while_short, dbg_minw, dbg_idle,
        dbg_free;
};

static uint64_t sub0(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t clampu(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t free_kib(const struct run *r)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < r->n; i++)
        sum += r->vm[i].actual_kib;
    return sub0(r->cap_kib, sum);
}

/* ---- policies: fill r->new_target --------------------------------------- */

static int plan_balloond(struct run *r)
{
    struct bd_host_input host = {
        .total_kib = r->cap_kib,
        .free_kib = free_kib(r),
    };
    struct bd_plan plan = {.dec = r->dec, .order = r->order};
    int rc;

    for (size_t i = 0; i < r->n; i++) {
        struct bd_dom_input *x = &r->in[i];
        const struct vm *v = &r->vm[i];
        bool pressure = v->d_kib > v->actual_kib;

        x->current_kib = v->actual_kib;
        x->target_kib = v->target_kib;
        x->stats.present = true;
        x->stats.time_ms = r->now_ms;
        x->stats.used_kib = v->d_kib;
        x->stats.total_kib = v->actual_kib;
        /* the model's only pressure signal is a flag: a mild PSI */
        x->stats.has_psi = true;
        x->stats.psi_some_x100 = pressure ? 500 : 0;
    }
    rc = bd_policy_plan(&r->params, &host, r->in, r->track, r->n, r->now_ms,
                        &plan);
    if (rc)
        return rc;
    for (size_t i = 0; i < r->n; i++) {
        r->new_target[i] = r->dec[i].target_kib;
        if (r->debug && r->dec[i].target_kib != r->vm[i].target_kib) {
            /* count writes by reason, up to the first digit */
            char key[40];
            size_t k;
            for (k = 0;
                 k < sizeof(key) - 1 && r->dec[i].reason[k] &&
                 !(r->dec[i].reason[k] >= '0' && r->dec[i].reason[k] <= '9');
                 k++)
                key[k] = r->dec[i].reason[k];
            key[k] = '\0';
            for (k = 0; k < r->n_dbg && strcmp(r->dbg_key[k], key); k++)
                ;
            if (k == r->n_dbg && k < 64)
                snprintf(r->dbg_key[r->n_dbg++], 40, "%s", key);
            if (k < 64)
                r->dbg_cnt[k]++;
        }
    }
    return 0;
}

/* squeezed: surplus = free + sum(max(0, actual - dmin)) - 72 MiB;
 * g = clamp(surplus / sum(dmax - dmin), 0, 1); target = dmin + g(dmax -
 * dmin); while anyone must shrink, only shrinking targets are set. */
static void plan_squeezed(struct run *r)
{
    double surplus = (double)free_kib(r) - 72.0 * MIB, range = 0, g;
    bool shrinking = false;

    for (size_t i = 0; i < r->n; i++) {
        surplus += (double)sub0(r->vm[i].actual_kib, r->vm[i].min_kib);
        range += (double)(r->vm[i].max_kib - r->vm[i].min_kib);
    }
    g = range > 0 ? surplus / range : 0;
    g = g < 0 ? 0 : g > 1 ? 1 : g;
    for (size_t i = 0; i < r->n; i++) {
        const struct vm *v = &r->vm[i];
        r->new_target[i] =
            v->min_kib + (uint64_t)(g * (double)(v->max_kib - v->min_kib));
        if (r->new_target[i] < v->actual_kib)
            shrinking = true;
    }
    if (shrinking)
        for (size_t i = 0; i < r->n; i++)
            if (r->new_target[i] > r->vm[i].target_kib)
                r->new_target[i] = r->vm[i].target_kib;
}

/* qmemman as in anchors.md: pref = max(min(used * 1.3, max), 200 MiB);
 * need = pref - max(current, last target); xenfree = free / 1.00781 -
 * pending growth - 50 MiB.  Enough: everyone gets pref plus a share of the
 * surplus in proportion to pref (x 0.999, capped, overflow re-split).
 * Short: donors drop to pref (unless < 10 MiB away), acceptors split what
 * is free now in proportion to pref.  Applied only when significant.
 * Guests report a new used only after a >= 30 MB change. */
static void plan_qmemman(struct run *r)
{
    const double mb = 1000.0 * 1000.0 / 1024.0; /* 1 MB in KiB */
    double xenfree, sum_need = 0, sum_pref = 0, sum_pref_acc = 0, pending = 0;
    double *pref = calloc(r->n, sizeof(*pref));
    double *need = calloc(r->n, sizeof(*need));
    bool significant = false;
    double total_change = 0;

    if (!pref || !need)
        goto out;
    for (size_t i = 0; i < r->n; i++) {
        const struct vm *v = &r->vm[i];
        double used, mem;

        if (v->d_kib > r->q_seen_used[i] + 30 * mb ||
            v->d_kib + 30 * mb < r->q_seen_used[i])
            r->q_seen_used[i] = v->d_kib;
        used = (double)r->q_seen_used[i];
        pref[i] = used * 1.3;
        if (pref[i] > (double)v->max_kib)
            pref[i] = (double)v->max_kib;
        if (pref[i] < 200.0 * MIB)
            pref[i] = 200.0 * MIB;
        mem = (double)(v->actual_kib > v->target_kib ? v->actual_kib
                                                     : v->target_kib);
        need[i] = pref[i] - mem;
        sum_need += need[i];
        sum_pref += pref[i];
        if (need[i] > 0 && v->actual_kib < v->max_kib)
            sum_pref_acc += pref[i];
        pending += (double)sub0(v->target_kib, v->actual_kib);
        r->new_target[i] = v->target_kib;
    }
    xenfree = (double)free_kib(r) / 1.00781 - pending - 50.0 * MIB;
    if (xenfree > sum_need) {
        double avail = xenfree - sum_need, left = 0;
        size_t acceptors = 0;
        double *tg = need; /* reuse */
        for (size_t i = 0; i < r->n; i++) {
            double t = 0.999 * (pref[i] + pref[i] / sum_pref * avail);
            if (t > (double)r->vm[i].max_kib) {
                left += t - (double)r->vm[i].max_kib;
                t = (double)r->vm[i].max_kib;
            } else {
                acceptors++;
            }
            tg[i] = t;
        }
        for (int rounds = 0; left > 1 && acceptors > 0 && rounds < 10;
             rounds++) {
            double share = left / (double)acceptors;
            left = 0;
            acceptors = 0;
            for (size_t i = 0; i < r->n; i++) {
                if (tg[i] >= (double)r->vm[i].max_kib)
                    continue;
                tg[i] += share;
                if (tg[i] > (double)r->vm[i].max_kib) {
                    left += tg[i] - (double)r->vm[i].max_kib;
                    tg[i] = (double)r->vm[i].max_kib;
                } else {
                    acceptors++;
                }
            }
        }
        for (size_t i = 0; i < r->n; i++)
            r->new_target[i] = (uint64_t)tg[i];
    } else {
        double freenow = (double)free_kib(r) / 1.00781 - 50.0 * MIB;
        for (size_t i = 0; i < r->n; i++) {
            const struct vm *v = &r->vm[i];
            double mem =
                (double)(v->actual_kib > v->target_kib ? v->actual_kib
                                                       : v->target_kib);
            double nd = pref[i] - mem;
            if (nd < 0 || v->actual_kib >= v->max_kib) {
                if (-nd >= 10.0 * MIB)
                    r->new_target[i] = (uint64_t)pref[i];
            } else if (freenow > 0 && sum_pref_acc > 0) {
                r->new_target[i] = (uint64_t)((double)v->actual_kib +
                                              pref[i] / sum_pref_acc * freenow);
            }
        }
    }
    /* significance: > 150 MiB in all, or a domain below pref gains > 15 MiB */
    for (size_t i = 0; i < r->n; i++) {
        const struct vm *v = &r->vm[i];
        double delta = (double)r->new_target[i] - (double)v->target_kib;
        total_change += delta < 0 ? -delta : delta;
        if ((double)v->actual_kib < pref[i] && delta > 15.0 * MIB)
            significant = true;
    }
    if (total_change > 150.0 * MIB)
        significant = true;
    if (!significant)
        for (size_t i = 0; i < r->n; i++)
            r->new_target[i] = r->vm[i].target_kib;
    /* Xen refuses a target above static-max; qmemman's floor is pref */
    for (size_t i = 0; i < r->n; i++)
        r->new_target[i] =
            clampu(r->new_target[i], r->vm[i].min_kib, r->vm[i].max_kib);
out:
    free(pref);
    free(need);
}

/* ---- the run ------------------------------------------------------------ */

static void run_dispose(struct run *r)
{
    free(r->vm);
    free(r->in);
    free(r->track);
    free(r->dec);
    free(r->order);
    free(r->q_seen_used);
    free(r->new_target);
}

int bd_bench_run(const struct bd_trace *t, enum bd_bench_policy pol,
                 uint64_t capacity_kib, struct bd_bench_result *res,
                 struct bd_bench_series *series)
{
    struct run r;
    uint64_t ticks_per_sample = t->step_s / TICK_S, n_ticks;
    double short_kib_s = 0, demand_kib_s = 0, idle_kib_sum = 0;
    uint64_t pressured = 0, changes = 0, violations = 0;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    res->policy = pol;
    res->capacity_kib = capacity_kib;
    if (ticks_per_sample == 0)
        ticks_per_sample = 1;
    n_ticks = t->n_samples * ticks_per_sample;

    if (pol == BP_ORACLE || pol == BP_ORACLE_MIN) {
        /* oracle-min: the same bound for a policy that must keep every VM
         * at or above its min (bench-model.md's invariant) */
        for (size_t s = 0; s < t->n_samples; s++) {
            const uint64_t *d = &t->use_kib[s * t->n_vm];
            uint64_t sum_in = 0, over = 0, dem = 0;
            for (size_t i = 0; i < t->n_vm; i++) {
                uint64_t m = t->max_kib[i];
                uint64_t lo = m < 128 * MIB ? m : 128 * MIB;
                uint64_t x = d[i] < m ? d[i] : m;
                if (pol == BP_ORACLE_MIN && x < lo)
                    x = lo;
                sum_in += x;
                over += sub0(d[i], m);
                dem += d[i];
            }
            short_kib_s += (double)(sub0(sum_in, capacity_kib) + over) *
                           (double)(ticks_per_sample * TICK_S);
            demand_kib_s += (double)dem * (double)(ticks_per_sample * TICK_S);
        }
        res->shortfall_gib_h = short_kib_s / (1024.0 * 1024.0 * 3600.0);
        res->demand_gib_h = demand_kib_s / (1024.0 * 1024.0 * 3600.0);
        res->shortfall_pct = 100.0 * short_kib_s / demand_kib_s;
        res->pressured_pct = -1;
        res->churn_per_vm_h = -1;
        res->idle_gib = -1;
        return 0;
    }

    memset(&r, 0, sizeof(r));
    r.t = t;
    r.n = t->n_vm;
    r.cap_kib = capacity_kib;
    r.vm = calloc(r.n, sizeof(*r.vm));
    r.in = calloc(r.n, sizeof(*r.in));
    r.track = calloc(r.n, sizeof(*r.track));
    r.dec = calloc(r.n, sizeof(*r.dec));
    r.order = calloc(r.n, sizeof(*r.order));
    r.q_seen_used = calloc(r.n, sizeof(*r.q_seen_used));
    r.new_target = calloc(r.n, sizeof(*r.new_target));
    if (!r.vm || !r.in || !r.track || !r.dec || !r.order || !r.q_seen_used ||
        !r.new_target) {
        rc = -ENOMEM;
        goto out;
    }
    r.debug = getenv("BENCH_DEBUG") != NULL;
    bd_policy_params_default(&r.params);
    r.params.reserve_kib = 0;
    r.params.decay_interval_ms = TICK_S * 1000;
    if (getenv("BENCH_SHARE_SPARE"))
        r.params.share_spare = atoi(getenv("BENCH_SHARE_SPARE")) != 0;
    {
        /* BENCH_PARAMS="delay_s,shrink_pct,hyst_mib,headroom_pct,hmin_mib"
         * for exploring; the table uses the defaults */
        const char *e = getenv("BENCH_PARAMS");
        unsigned long a, b, c, d2, e2;
        if (e && sscanf(e, "%lu,%lu,%lu,%lu,%lu", &a, &b, &c, &d2, &e2) == 5) {
            r.params.shrink_delay_ms = a * 1000;
            r.params.shrink_pct = (uint32_t)b;
            r.params.hysteresis_kib = c * MIB;
            r.params.headroom_pct = (uint32_t)d2;
            r.params.headroom_min_kib = e2 * MIB;
        }
    }
    for (size_t i = 0; i < r.n; i++) {
        struct vm *v = &r.vm[i];
        v->max_kib = t->max_kib[i];
        v->min_kib = v->max_kib < 128 * MIB ? v->max_kib : 128 * MIB;
        v->actual_kib =
            capacity_kib / r.n < v->max_kib ? capacity_kib / r.n : v->max_kib;
        v->target_kib = v->actual_kib;
        r.in[i].domid = (uint32_t)i + 1;
        r.in[i].static_max_kib = v->max_kib;
        r.in[i].min_kib = v->min_kib;
        r.in[i].max_kib = v->max_kib;
        r.in[i].weight = 100;
        r.in[i].mode = BD_MODE_AUTO;
    }

    for (uint64_t k = 0; k < n_ticks; k++) {
        size_t s = (size_t)(k / ticks_per_sample);
        const uint64_t *d = &t->use_kib[s * t->n_vm];
        uint64_t sum = 0, avail;

        r.now_ms = k * TICK_S * 1000;
        for (size_t i = 0; i < r.n; i++)
            r.vm[i].d_kib = d[i];

        switch (pol) {
        case BP_BALLOOND:
            rc = plan_balloond(&r);
            if (rc)
                goto out;
            break;
        case BP_SQUEEZED:
            plan_squeezed(&r);
            break;
        case BP_QMEMMAN:
            plan_qmemman(&r);
            break;
        default:
            for (size_t i = 0; i < r.n; i++)
                r.new_target[i] = r.vm[i].target_kib;
            break;
        }
        for (size_t i = 0; i < r.n; i++) {
            struct vm *v = &r.vm[i];
            uint64_t nt = r.new_target[i];
            if (nt < v->min_kib || nt > v->max_kib) {
                violations++;
                nt = clampu(nt, v->min_kib, v->max_kib);
            }
            if (nt != v->target_kib)
                changes++;
            v->target_kib = nt;
        }

        /* shrinks first, then growth in VM order from what is free */
        for (size_t i = 0; i < r.n; i++) {
            struct vm *v = &r.vm[i];
            if (v->actual_kib > v->target_kib) {
                uint64_t mv = v->actual_kib - v->target_kib;
                v->actual_kib -= mv < MOVE_KIB ? mv : MOVE_KIB;
            }
        }
        avail = free_kib(&r);
        for (size_t i = 0; i < r.n; i++) {
            struct vm *v = &r.vm[i];
            if (v->actual_kib < v->target_kib) {
                uint64_t mv = v->target_kib - v->actual_kib;
                if (mv > MOVE_KIB)
                    mv = MOVE_KIB;
                if (mv > avail)
                    mv = avail;
                v->actual_kib += mv;
                avail -= mv;
            }
        }

        for (size_t i = 0; i < r.n; i++) {
            const struct vm *v = &r.vm[i];
            sum += v->actual_kib;
            if (v->d_kib > v->actual_kib) {
                if (r.debug && getenv("BENCH_TRACE_SHORT") &&
                    pol == BP_BALLOOND)
                    fprintf(stderr,
                            "short k=%" PRIu64 " vm%zu d=%" PRIu64
                            " act=%" PRIu64 " tgt=%" PRIu64 " prevd=%" PRIu64
                            " %s\n",
                            k, i, v->d_kib / 1024, v->actual_kib / 1024,
                            v->target_kib / 1024,
                            s ? t->use_kib[(s - 1) * t->n_vm + i] / 1024 : 0,
                            r.dec[i].reason);
                short_kib_s += (double)(v->d_kib - v->actual_kib) * TICK_S;
                pressured++;
            } else {
                idle_kib_sum += (double)(v->actual_kib - v->d_kib);
            }
            demand_kib_s += (double)v->d_kib * TICK_S;
        }
        if (sum > capacity_kib)
            violations++;
        if (r.debug) {
            uint64_t dsum = 0, sh = 0, fr = sub0(capacity_kib, sum);
            for (size_t i = 0; i < r.n; i++) {
                dsum += r.vm[i].d_kib;
                sh += sub0(r.vm[i].d_kib, r.vm[i].actual_kib);
            }
            if (dsum <= capacity_kib) {
                r.dbg_lag += (double)sh * TICK_S;
            } else {
                uint64_t minw = 0, idle = 0, grow = 0;
                r.dbg_over += (double)(sh - (dsum - capacity_kib)) * TICK_S;
                for (size_t i = 0; i < r.n; i++) {
                    const struct vm *v = &r.vm[i];
                    minw += sub0(v->min_kib, v->d_kib);
                    if (v->actual_kib > v->d_kib && v->actual_kib > v->min_kib)
                        idle += v->actual_kib -
                                (v->d_kib > v->min_kib ? v->d_kib : v->min_kib);
                    if (v->actual_kib < v->target_kib)
                        grow++;
                }
                r.dbg_minw += (double)minw * TICK_S;
                r.dbg_idle += (double)idle * TICK_S;
                r.dbg_free += (double)fr * TICK_S;
            }
            if (sh && fr > 0)
                r.dbg_free_while_short += 1;
        }
        if (series && (k + 1) % ticks_per_sample == 0)
            for (size_t j = 0; j < series->n_vm; j++)
                series->alloc_kib[s * series->n_vm + j] =
                    r.vm[series->vm_idx[j]].actual_kib;
    }

    res->shortfall_gib_h = short_kib_s / (1024.0 * 1024.0 * 3600.0);
    res->demand_gib_h = demand_kib_s / (1024.0 * 1024.0 * 3600.0);
    res->shortfall_pct =
        demand_kib_s > 0 ? 100.0 * short_kib_s / demand_kib_s : 0;
    res->pressured_pct = 100.0 * (double)pressured / (double)(n_ticks * r.n);
    res->churn_per_vm_h =
        (double)changes / ((double)r.n * (double)n_ticks * TICK_S / 3600.0);
    res->idle_gib = idle_kib_sum / (double)n_ticks / (1024.0 * 1024.0);
    res->violations = violations;
    if (r.debug)
        fprintf(stderr,
                "C=%.0f %s excess shortfall GiB-h: when demand fits "
                "%.2f, when over %.2f; ticks short with free memory %.0f\n",
                (double)capacity_kib / 1048576.0, bd_bench_policy_name[pol],
                r.dbg_lag / 3774873600.0, r.dbg_over / 3774873600.0,
                r.dbg_free_while_short);
    if (r.debug)
        fprintf(stderr,
                "   over: below-min waste %.2f, idle above d %.2f, free %.2f\n",
                r.dbg_minw / 3774873600.0, r.dbg_idle / 3774873600.0,
                r.dbg_free / 3774873600.0);
    for (size_t k = 0; k < r.n_dbg; k++)
        fprintf(stderr, "C=%.0f %-45s %" PRIu64 "\n",
                (double)capacity_kib / 1048576.0, r.dbg_key[k], r.dbg_cnt[k]);
out:
    run_dispose(&r);
    return rc;
}
