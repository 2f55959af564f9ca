/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cost.c - what one daemon cycle costs at 50, 1,000 and 4,096 domains.
 *
 * Design: a simulated host with N guests (static-max 1-16 GiB, demand
 * waves of 1-6 hours, balloon-agent reports) runs the real daemon
 * (bd_simrun).  Its host ops are wrapped with counters, so every host
 * read (domain list, physinfo, name, key) and write (target) is counted.
 * After a warm-up, each measured cycle is what the loop does every
 * interval: drain the watch events, read the reports that changed, and
 * bd_cycle() (scan, plan, actuate).  Two cases: "idle" (nothing changed
 * since the last cycle: the model is not stepped) and "moving" (the model
 * advanced one interval: reports and balloons moved).  The model's own
 * stepping is not timed.  Median of the cycles, clock_gettime() here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "sim/simrun.h"

#define GIB (UINT64_C(1024) * 1024)
#define MIB UINT64_C(1024)
#define CYCLES 41

struct count_host {
    struct bd_host h;
    struct bd_host *inner;
    uint64_t reads, key_reads, writes, events;
};

static struct bd_host *IN(struct bd_host *h)
{
    return ((struct count_host *)h)->inner;
}

static struct count_host *C(struct bd_host *h)
{
    return (struct count_host *)h;
}

static int c_list(struct bd_host *h, struct bd_host_dom **o, size_t *n)
{
    C(h)->reads++;
    return IN(h)->ops->list_domains(IN(h), o, n);
}

static int c_phys(struct bd_host *h, struct bd_host_phys *o)
{
    C(h)->reads++;
    return IN(h)->ops->physinfo(IN(h), o);
}

static int c_name(struct bd_host *h, uint32_t id, char *b, size_t l)
{
    C(h)->reads++;
    return IN(h)->ops->domain_name(IN(h), id, b, l);
}

static int c_read(struct bd_host *h, uint32_t id, const char *rel, char *b,
                  size_t l, size_t *vl)
{
    C(h)->reads++;
    C(h)->key_reads++;
    return IN(h)->ops->read_key(IN(h), id, rel, b, l, vl);
}

static int c_set(struct bd_host *h, uint32_t id, uint64_t kib)
{
    C(h)->writes++;
    return IN(h)->ops->set_target(IN(h), id, kib);
}

static int c_watch(struct bd_host *h, const char *p, const char *t)
{
    return IN(h)->ops->watch(IN(h), p, t);
}

static int c_unwatch(struct bd_host *h, const char *p, const char *t)
{
    return IN(h)->ops->unwatch(IN(h), p, t);
}

static int c_fd(struct bd_host *h)
{
    return IN(h)->ops->fd(IN(h));
}

static int c_next(struct bd_host *h, struct bd_host_event *ev)
{
    int rc = IN(h)->ops->next_event(IN(h), ev);

    if (rc == 0)
        C(h)->events++;
    return rc;
}

static int c_step(struct bd_host *h, uint64_t now)
{
    return IN(h)->ops->step(IN(h), now);
}

static int c_cmdline(struct bd_host *h, char *b, size_t l)
{
    return IN(h)->ops->xen_cmdline(IN(h), b, l);
}

static void c_destroy(struct bd_host *h)
{
    IN(h)->ops->destroy(IN(h));
    free(h);
}

static const struct bd_host_ops count_ops = {
    .name = "sim+count",
    .list_domains = c_list,
    .physinfo = c_phys,
    .domain_name = c_name,
    .read_key = c_read,
    .set_target = c_set,
    .watch = c_watch,
    .unwatch = c_unwatch,
    .fd = c_fd,
    .next_event = c_next,
    .step = c_step,
    .xen_cmdline = c_cmdline,
    .destroy = c_destroy,
};

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cost_sim(size_t n, struct bd_sim **out)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL ^ n, cap = 0;
    struct bd_sim *sim;
    int rc;

    for (size_t pass = 0; pass < 2; pass++) {
        uint64_t s = seed;
        if (pass == 1 && (rc = bd_sim_new(cap + cap / 4, 7, &sim)) < 0)
            return rc;
        for (size_t i = 0; i < n; i++) {
            struct bd_sim_guest_cfg c;
            uint64_t smax = (1 + rng_next(&s) % 16) * GIB;
            char name[32];

            if (pass == 0) {
                cap += smax / 2;
                rng_next(&s);
                continue;
            }
            snprintf(name, sizeof(name), "vm%zu", i + 1);
            bd_sim_guest_cfg_init(&c);
            c.name = name;
            c.static_max_kib = smax;
            c.boot_kib = smax / 2;
            c.overhead_kib = bd_sim_linux_overhead_kib(smax);
            c.demand.pattern = BD_SIM_SINE;
            c.demand.base_kib = smax / 5;
            c.demand.peak_kib = smax * 7 / 10;
            c.demand.period_ms = (1 + rng_next(&s) % 6) * 3600000;
            c.demand.phase_ms = (uint64_t)i * 7919000;
            rc = bd_sim_add(sim, &c);
            if (rc < 0) {
                bd_sim_free(sim);
                return rc;
            }
        }
    }
    *out = sim;
    return 0;
}

struct cost {
    uint64_t ns, reads, key_reads, writes, changes;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One measured cycle: drain + bd_cycle, as the loop does each interval. */
static int one_cycle(struct bd_simrun *r, struct count_host *ch, bool step,
                     struct cost *c)
{
    struct bd_cycle_result res;
    uint64_t dirty, t0;
    bool kick = false;
    int rc;

    r->now_ms += r->cfg->interval_ms;
    /* the model moves and the host makes its events: not the daemon's
     * cost; idle: nothing moves at all */
    if (step && (rc = ch->inner->ops->step(ch->inner, r->now_ms)) < 0)
        return rc;
    ch->reads = ch->key_reads = ch->writes = ch->events = 0;
    t0 = mono_ns();
    rc = bd_daemon_drain(&r->d, r->now_ms, &kick, &dirty);
    if (rc == 0)
        rc = bd_cycle(&r->d, r->now_ms, &res);
    c->ns = mono_ns() - t0;
    c->reads = ch->reads;
    c->key_reads = ch->key_reads;
    c->writes = ch->writes;
    c->changes = ch->events;
    return rc;
}

static int measure(size_t n, bool step, struct cost *med)
{
    struct bd_simrun r;
    struct count_host *ch = calloc(1, sizeof(*ch));
    struct bd_sim *sim;
    struct cost c[CYCLES];
    uint64_t v[CYCLES];
    int rc;

    if (!ch)
        return -ENOMEM;
    rc = cost_sim(n, &sim);
    if (rc < 0) {
        free(ch);
        return rc;
    }
    rc = bd_simrun_init(&r, sim, "[host]\nreserve = 0\n");
    if (rc < 0) {
        free(ch);
        bd_simrun_dispose(&r);
        return rc;
    }
    ch->h.ops = &count_ops;
    ch->h.step_ms = r.host->step_ms;
    ch->inner = r.host;
    r.host = &ch->h;
    r.d.host = &ch->h;
    /* warm up: the first scans, watches and reports, 10 min of moves */
    rc = bd_simrun_advance(&r, 600000);
    for (int k = 0; rc == 0 && k < CYCLES; k++)
        rc = one_cycle(&r, ch, step, &c[k]);
    if (rc == 0) {
        uint64_t *f[] = {&med->ns, &med->reads, &med->key_reads,
                         &med->writes, &med->changes};
        for (size_t q = 0; q < sizeof(f) / sizeof(f[0]); q++) {
            for (int k = 0; k < CYCLES; k++)
                v[k] = *(uint64_t *)((char *)&c[k] +
                                     ((char *)f[q] - (char *)med));
            qsort(v, CYCLES, sizeof(v[0]), cmp_u64);
            *f[q] = v[CYCLES / 2];
        }
    }
    bd_simrun_dispose(&r);
    return rc;
}

int bd_bench_cost(const char *out_dir)
{
    static const size_t sizes[] = {50, 1000, 4096};
    char path[4096];
    FILE *f;
    int rc = 0;

    bd_log_level = 3;
    snprintf(path, sizeof(path), "%s/cost.csv", out_dir);
    f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "domains,case,median_ns,reads,key_reads,writes,watch_events\n");
    printf("\nCost of one daemon cycle (drain events + read reports + "
           "bd_cycle), median of %d:\n", CYCLES);
    printf("%8s %-7s %12s %8s %10s %7s %14s\n", "domains", "case", "us/cycle",
           "reads", "key reads", "writes", "watch events");
    for (size_t k = 0; rc == 0 && k < sizeof(sizes) / sizeof(sizes[0]); k++)
        for (int step = 0; rc == 0 && step < 2; step++) {
            struct cost c;
            rc = measure(sizes[k], step, &c);
            if (rc)
                break;
            fprintf(f, "%zu,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                       ",%" PRIu64 "\n",
                    sizes[k], step ? "moving" : "idle", c.ns, c.reads,
                    c.key_reads, c.writes, c.changes);
            printf("%8zu %-7s %12.1f %8" PRIu64 " %10" PRIu64 " %7" PRIu64
                   " %14" PRIu64 "\n",
                   sizes[k], step ? "moving" : "idle", (double)c.ns / 1000.0,
                   c.reads, c.key_reads, c.writes, c.changes);
        }
    if (fclose(f) && rc == 0)
        rc = -errno;
    return rc;
}
