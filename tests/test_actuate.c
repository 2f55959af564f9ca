/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_actuate.c - how balloond carries out a plan, on a fake host.
 *
 * Asserts the actuation rules of actuate.c and domains.c: shrinks are
 * written before grows whatever the plan's order; growth takes only memory
 * that is free now (minus the reserve and growth already promised); a
 * domain that vanishes mid-cycle is dropped quietly; a refused write is
 * counted and does not stop the others; nothing outside a domain's limits
 * is written; --dry-run writes nothing; another tool's target becomes an
 * external hold that balloond does not fight; a flood of guest writes
 * costs one read per second; and a real plan on a tight host shrinks
 * before it grows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/actuate.h"
#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/reserve.h"
#include "tests/fake_host.h"

#define M (UINT64_C(1024))
#define G (UINT64_C(1024) * 1024)
#define NOW (UINT64_C(3600) * 1000) /* well after start: no start-up rule */

struct ctx {
    struct fake_host *fh;
    struct bd_config *cfg;
    struct bd_daemon d;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    c->fh = fake_host_new(8 * G, 300 * M);
    c->cfg = calloc(1, sizeof(*c->cfg));
    assert_int_equal(bd_config_init(c->cfg), 0);
    free(c->cfg->state_path); /* bd_config_init's default is not ours */
    c->cfg->state_path = NULL;
    /* The numbers below assume these, whatever the defaults become. */
    c->cfg->policy.hysteresis_kib = 16 * M;
    c->cfg->reserve.is_pct = false;
    c->cfg->reserve.kib = 256 * M;
    c->cfg->start_pool.is_pct = false;
    c->cfg->start_pool.kib = 0;
    bd_daemon_init(&c->d, c->cfg, &c->fh->h);
    bd_log_level = getenv("BD_TEST_VERBOSE") ? 7 : 2;
    fake_add(c->fh, 1, "a", 2 * G, 4 * G);
    fake_add(c->fh, 2, "b", 1 * G, 4 * G);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;

    bd_daemon_dispose(&c->d);
    bd_config_free(c->cfg);
    fake_host_free(c->fh);
    free(c);
    return 0;
}

/* Scan, and build a two-domain plan by hand. */
struct manual {
    struct bd_domain *doms[4];
    struct bd_decision dec[4];
    size_t order[4];
    struct bd_plan plan;
};

static void manual_plan(struct ctx *c, struct manual *m, uint64_t a_kib,
                        uint64_t b_kib, bool grow_first)
{
    assert_int_equal(bd_domains_scan(&c->d, NOW), 0);
    memset(m, 0, sizeof(*m));
    m->doms[0] = bd_domain_find(&c->d, 1);
    m->doms[1] = bd_domain_find(&c->d, 2);
    assert_non_null(m->doms[0]);
    assert_non_null(m->doms[1]);
    m->dec[0].target_kib = a_kib;
    m->dec[0].write = a_kib != m->doms[0]->target_kib;
    m->dec[0].shrink = a_kib < m->doms[0]->target_kib;
    m->dec[1].target_kib = b_kib;
    m->dec[1].write = b_kib != m->doms[1]->target_kib;
    m->dec[1].shrink = b_kib < m->doms[1]->target_kib;
    snprintf(m->dec[0].reason, sizeof(m->dec[0].reason), "test");
    snprintf(m->dec[1].reason, sizeof(m->dec[1].reason), "test");
    m->order[0] = grow_first ? 1 : 0;
    m->order[1] = grow_first ? 0 : 1;
    m->plan.dec = m->dec;
    m->plan.order = m->order;
    m->plan.n_order = 2;
}

static void test_shrink_before_grow(void **state)
{
    struct ctx *c = *state;
    struct manual m;
    size_t phys_before;

    /* The plan lists the grow first: the shrink must still go first. */
    c->fh->phys.free_kib = 556 * M;
    manual_plan(c, &m, 1 * G, 2 * G, true);
    phys_before = c->fh->n_physinfo;
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 2);
    assert_int_equal(c->fh->writes[0].domid, 1);
    assert_int_equal(c->fh->writes[0].kib, 1 * G);
    assert_int_equal(c->fh->writes[1].domid, 2);
    /* Free memory was checked again after the shrink was written. */
    assert_true(c->fh->n_physinfo > phys_before);
    /* Balloons take time: only what is free now (556M) minus the 256M
     * reserve may be given: b grows by 300M, not 1G. */
    assert_int_equal(c->fh->writes[1].kib, 1 * G + 300 * M);
    assert_int_equal(c->d.cnt.target_writes, 2);
    assert_int_equal(c->d.cnt.rebalances, 1);
}

/* Behind a slow donor the budget grows by slivers: a part of a grow is
 * written only once it is worth a write (a quarter of what is missing). */
static void test_partial_grow_waits_for_a_chunk(void **state)
{
    struct ctx *c = *state;
    struct manual m;

    c->fh->phys.free_kib = 300 * M; /* 44M above the reserve */
    manual_plan(c, &m, 2 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 0);
    c->fh->phys.free_kib = 256 * M + 256 * M; /* a quarter of 1G */
    manual_plan(c, &m, 2 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 1);
    assert_int_equal(c->fh->writes[0].kib, 1 * G + 256 * M);
}

static void test_grow_waits_without_free(void **state)
{
    struct ctx *c = *state;
    struct manual m;

    c->fh->phys.free_kib = 260 * M; /* 4M above the reserve: too little */
    manual_plan(c, &m, 2 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 0);

    /* Once the shrink has really freed memory, the grow goes through. */
    c->fh->phys.free_kib = 2 * G;
    manual_plan(c, &m, 2 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 1);
    assert_int_equal(c->fh->writes[0].kib, 2 * G);
}

static void test_pending_growth_counts(void **state)
{
    struct ctx *c = *state;
    struct manual m;

    /* Domain c was told to grow by 1G and has not taken it yet: that 1G
     * of "free" memory is already spoken for. */
    fake_add(c->fh, 3, "c", 1 * G, 4 * G);
    fake_set_num(c->fh, 3, "memory/target", 2 * G);
    c->fh->phys.free_kib = 1 * G + 256 * M + 300 * M;
    manual_plan(c, &m, 2 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 1);
    assert_int_equal(c->fh->writes[0].domid, 2);
    assert_int_equal(c->fh->writes[0].kib, 1 * G + 300 * M);
}

static void test_vanished_domain(void **state)
{
    struct ctx *c = *state;
    struct manual m;

    c->fh->phys.free_kib = 4 * G;
    manual_plan(c, &m, 1 * G, 2 * G, false);
    fake_dom(c->fh, 1)->vanish_before_write = true;
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    /* a is gone: no write, no error; b is still served. */
    assert_int_equal(c->fh->n_writes, 1);
    assert_int_equal(c->fh->writes[0].domid, 2);
    assert_int_equal(c->d.cnt.errors, 0);
    assert_true(c->d.rescan_needed);
    assert_int_equal(bd_domains_scan(&c->d, NOW), 0);
    assert_null(bd_domain_find(&c->d, 1));
    assert_non_null(bd_domain_find(&c->d, 2));
}

static void test_refused_write(void **state)
{
    struct ctx *c = *state;
    struct manual m;
    struct bd_domain *a;

    c->fh->phys.free_kib = 4 * G;
    fake_dom(c->fh, 1)->set_err = -EINVAL;
    manual_plan(c, &m, 1 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    a = bd_domain_find(&c->d, 1);
    assert_int_equal(c->d.cnt.errors, 1);
    assert_int_equal(a->last_err, -EINVAL);
    assert_int_equal(a->target_kib, 2 * G); /* unchanged */
    assert_int_equal(c->fh->n_writes, 1);   /* b still written */
    assert_int_equal(c->fh->writes[0].domid, 2);

    /* Retried next cycle (counted, logged once); recovers when allowed. */
    manual_plan(c, &m, 1 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->d.cnt.errors, 2);
    fake_dom(c->fh, 1)->set_err = 0;
    manual_plan(c, &m, 1 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(a->last_err, 0);
    assert_int_equal(a->target_kib, 1 * G);
}

static void test_never_outside_limits(void **state)
{
    struct ctx *c = *state;
    struct manual m;

    c->fh->phys.free_kib = 8 * G;
    /* Above static-max (4G) and below the 128M default min. */
    manual_plan(c, &m, 64 * M, 5 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 0);
    assert_int_equal(bd_domain_find(&c->d, 1)->last_err, -ERANGE);

    /* A runtime max override is a limit as well. */
    bd_domain_find(&c->d, 2)->ovr.has_max = true;
    bd_domain_find(&c->d, 2)->ovr.max_kib = 1536 * M;
    bd_domain_apply_limits(&c->d, bd_domain_find(&c->d, 2));
    manual_plan(c, &m, 2 * G, 2 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 0);
}

static void test_dry_run(void **state)
{
    struct ctx *c = *state;
    struct manual m;

    c->fh->phys.free_kib = 4 * G;
    c->d.dry_run = true;
    manual_plan(c, &m, 1 * G, 3 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 0);
    assert_int_equal(fake_get_num(c->fh, 1, "memory/target"), 2 * G);
    assert_int_equal(bd_domain_find(&c->d, 1)->dry_logged_kib, 1 * G);
}

static void test_external_writer_held(void **state)
{
    struct ctx *c = *state;
    struct bd_host_event ev;
    struct manual m;
    struct bd_domain *a, *b;
    bool kick = false;

    c->fh->phys.free_kib = 4 * G;
    manual_plan(c, &m, 2 * G, 3 * G, false);
    a = bd_domain_find(&c->d, 1);
    b = bd_domain_find(&c->d, 2);
    while (c->fh->h.ops->next_event(&c->fh->h, &ev) == 0)
        bd_domains_event(&c->d, &ev, NOW, &kick);

    /* Our own write of b comes back through the watch: not external. */
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    snprintf(ev.path, sizeof(ev.path), "/local/domain/2/memory/target");
    bd_domains_event(&c->d, &ev, NOW, &kick);
    assert_int_equal(b->hold_kib, 0);
    assert_int_equal(c->d.cnt.external_writes, 0);

    /* xl mem-set a 1536M. */
    fake_set_num(c->fh, 1, "memory/target", 1536 * M);
    snprintf(ev.path, sizeof(ev.path), "/local/domain/1/memory/target");
    bd_domains_event(&c->d, &ev, NOW, &kick);
    assert_int_equal(a->hold_kib, 1536 * M);
    assert_int_equal(a->hold_until_ms, NOW + c->cfg->external_hold_ms);
    assert_int_equal(c->d.cnt.external_writes, 1);
    assert_true(kick);

    /* A plan that would move a is not carried out while it is held. */
    c->fh->n_writes = 0;
    manual_plan(c, &m, 1 * G, 3 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 0);

    /* The hold ends after external-hold. */
    bd_domains_expire(&c->d, NOW + c->cfg->external_hold_ms);
    assert_int_equal(a->hold_kib, 0);
}

static void test_flood_is_coalesced(void **state)
{
    struct ctx *c = *state;
    struct bd_host_event ev;
    struct bd_domain *a;
    bool kick = false;
    size_t reads;
    uint64_t next;

    assert_int_equal(bd_domains_scan(&c->d, NOW), 0);
    a = bd_domain_find(&c->d, 1);
    fake_report(c->fh, 1, 2 * G, 1 * G, 1);
    while (c->fh->h.ops->next_event(&c->fh->h, &ev) == 0)
        bd_domains_event(&c->d, &ev, NOW, &kick);
    bd_domains_process_dirty(&c->d, NOW, &kick);
    assert_true(a->stats.present);
    assert_int_equal(a->stats.used_kib, 1 * G);

    /* 10000 writes within one second: no read until the gap has passed. */
    reads = c->fh->n_reads;
    snprintf(ev.path, sizeof(ev.path), "/local/domain/1/data/junk");
    for (int i = 0; i < 10000; i++) {
        bd_domains_event(&c->d, &ev, NOW + 10, &kick);
        next = bd_domains_process_dirty(&c->d, NOW + 10, &kick);
    }
    assert_int_equal(c->fh->n_reads, reads);
    assert_int_equal(next, NOW + BD_STATS_MIN_GAP_MS);
    /* Then one read of the sequence number, which has not changed. */
    bd_domains_process_dirty(&c->d, NOW + BD_STATS_MIN_GAP_MS, &kick);
    assert_int_equal(c->fh->n_reads, reads + 1);
    assert_int_equal(a->stats.time_ms, NOW);
}

static void test_garbage_report(void **state)
{
    struct ctx *c = *state;
    struct bd_domain *a;
    bool kick = false;

    assert_int_equal(bd_domains_scan(&c->d, NOW), 0);
    a = bd_domain_find(&c->d, 1);
    fake_report(c->fh, 1, 2 * G, 1 * G, 1);
    fake_set_key(c->fh, 1, "data/balloon/mem-available", "-1");
    a->stats_dirty = true;
    bd_domains_process_dirty(&c->d, NOW, &kick);
    assert_false(a->stats.present);
    assert_string_equal(a->stats_err,
                        "data/balloon/mem-available: negative value");
    assert_int_equal(c->d.cnt.stats_rejected, 1);
    /* A value longer than any number is rejected too, not truncated. */
    fake_set_key(c->fh, 1, "data/balloon/mem-available",
                 "1111111111111111111111111111111111111111111111111");
    fake_set_num(c->fh, 1, "data/balloon/seq", 2);
    a->stats_dirty = true;
    bd_domains_process_dirty(&c->d, NOW + 2000, &kick);
    assert_false(a->stats.present);
    /* A good report again clears it. */
    fake_report(c->fh, 1, 2 * G, 1 * G, 3);
    a->stats_dirty = true;
    bd_domains_process_dirty(&c->d, NOW + 4000, &kick);
    assert_true(a->stats.present);
    assert_string_equal(a->stats_err, "");
    assert_int_equal(a->stats_warn_ms, NOW);
    /* Bad again soon after: counted, not logged again. */
    fake_set_key(c->fh, 1, "data/balloon/mem-total", "x");
    fake_set_num(c->fh, 1, "data/balloon/seq", 4);
    a->stats_dirty = true;
    bd_domains_process_dirty(&c->d, NOW + 6000, &kick);
    assert_false(a->stats.present);
    assert_int_equal(a->stats_warn_ms, NOW);
    assert_int_equal(c->d.cnt.stats_rejected, 3);
}

/* The real policy on a tight host: the idle guest shrinks first and the
 * needy one grows only by what is free. */
static void test_rebalance_tight_host(void **state)
{
    struct ctx *c = *state;
    struct bd_host_event ev;
    bool kick = false;
    uint64_t t;

    c->fh->phys.free_kib = 300 * M;
    c->fh->writes_take_effect = true;
    assert_int_equal(bd_domains_scan(&c->d, NOW), 0);
    while (c->fh->h.ops->next_event(&c->fh->h, &ev) == 0)
        bd_domains_event(&c->d, &ev, NOW, &kick);
    /* a: 2G, uses 200M.  b: 1G, uses all of it and swaps. */
    fake_report(c->fh, 1, 2 * G, 2 * G - 200 * M, 1);
    fake_report(c->fh, 2, 1 * G, 0, 1);
    fake_set_num(c->fh, 2, "data/balloon/swapin-rate", 500);
    fake_set_num(c->fh, 2, "data/balloon/psi-some", 4000);
    for (t = NOW; t < NOW + 10 * 60 * 1000; t += 5000) {
        while (c->fh->h.ops->next_event(&c->fh->h, &ev) == 0)
            bd_domains_event(&c->d, &ev, t, &kick);
        bd_domains_scan(&c->d, t);
        bd_domains_process_dirty(&c->d, t, &kick);
        assert_int_equal(bd_rebalance(&c->d, t), 0);
        /* Every write keeps the host reserve (balloons move at once
         * here), and nobody leaves its limits. */
        for (size_t i = 0; i < c->fh->n_writes; i++)
            assert_true(c->fh->writes[i].kib >= 128 * M &&
                        c->fh->writes[i].kib <= 4 * G);
        assert_true(c->fh->phys.free_kib >= 256 * M);
        /* keep reporting so the reports do not go stale */
        fake_report(c->fh, 1, fake_dom(c->fh, 1)->current_kib,
                    fake_dom(c->fh, 1)->current_kib - 200 * M, t / 1000);
        fake_report(c->fh, 2, fake_dom(c->fh, 2)->current_kib, 0, t / 1000);
    }
    assert_true(c->fh->n_writes >= 2);
    assert_int_equal(c->fh->writes[0].domid, 1); /* shrink first */
    assert_true(c->fh->writes[0].kib < 2 * G);
    assert_true(fake_dom(c->fh, 2)->current_kib > 1 * G); /* b grew */
}

/* A balloon that never moves: the policy marks the domain stuck and, after
 * stuck-retry, asks for the same target again; the one cycle must really
 * write it again (the guest's driver may have missed the first write). */
static void test_stuck_retry_is_written(void **state)
{
    struct ctx *c = *state;
    uint64_t t, next = 0, first = 0;
    size_t writes_a = 0, retries = 0;
    bool kick = false;

    c->fh->phys.free_kib = 2 * G;
    c->fh->writes_take_effect = false; /* a's balloon is stuck */
    for (t = NOW; t < NOW + 12 * 60 * 1000; t += 5000) {
        /* a: 2G held, uses 200M, reports every 5 s */
        fake_report(c->fh, 1, 2 * G, 2 * G - 200 * M, t / 1000);
        fake_report(c->fh, 2, 1 * G, 512 * M, t / 1000);
        assert_int_equal(bd_daemon_drain(&c->d, t, &kick, &next), 0);
        assert_int_equal(bd_cycle(&c->d, t, NULL), 0);
    }
    for (size_t i = 0; i < c->fh->n_writes; i++) {
        if (c->fh->writes[i].domid != 1)
            continue;
        if (writes_a++ == 0)
            first = c->fh->writes[i].kib;
        else if (c->fh->writes[i].kib == first)
            retries++;
    }
    assert_true(first > 0 && first < 2 * G);
    assert_int_equal(bd_domain_find(&c->d, 1)->dec.state, BD_STATE_STUCK);
    /* 12 minutes: retried after 5 and 10 minutes, no more. */
    assert_true(retries >= 1);
    assert_true(retries <= 2);
}

/* Right after a (re)start there is no history: no policy shrink is
 * written unless the host needs the memory now. */
static void test_startup_defers_shrinks(void **state)
{
    struct ctx *c = *state;
    struct manual m;

    c->d.start_ms = NOW - 1000;
    c->fh->phys.free_kib = 2 * G;
    manual_plan(c, &m, 1 * G, 1 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 0);
    /* A pin is the administrator's: written at once. */
    bd_domain_find(&c->d, 1)->pin_kib = 1 * G;
    manual_plan(c, &m, 1 * G, 1 * G, false);
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 1);
    bd_domain_find(&c->d, 1)->pin_kib = 0;
    /* Short of the reserve: the shrink is needed and goes through. */
    c->fh->phys.free_kib = 100 * M;
    manual_plan(c, &m, 1 * G, 1 * G, false);
    m.dec[1].write = false;
    c->fh->n_writes = 0;
    fake_set_num(c->fh, 1, "memory/target", 2 * G);
    bd_domain_find(&c->d, 1)->target_kib = 2 * G;
    bd_domain_find(&c->d, 1)->written_kib = 2 * G;
    m.dec[0].target_kib = 1536 * M;
    m.dec[0].write = true;
    assert_int_equal(bd_actuate(&c->d, m.doms, 2, &m.plan, NOW), 0);
    assert_int_equal(c->fh->n_writes, 1);
}

/* A domain created after start takes its memory from the reservation
 * made for it (balloonctl reserve, then xl create). */
static void test_reservation_taken_by_new_domain(void **state)
{
    struct ctx *c = *state;

    assert_int_equal(bd_domains_scan(&c->d, NOW), 0);
    c->d.res[0].id = 1;
    c->d.res[0].kib = 1536 * M;
    c->d.res[0].granted = true;
    c->d.res[1].id = 2;
    c->d.res[1].kib = 512 * M; /* still waiting: not consumed */
    c->d.n_res = 2;
    assert_int_equal(bd_reserved_kib(&c->d), 2 * G);
    fake_add(c->fh, 7, "new", 1 * G, 2 * G);
    assert_int_equal(bd_domains_scan(&c->d, NOW + 1000), 0);
    assert_int_equal(c->d.n_res, 2);
    assert_int_equal(bd_reserved_kib(&c->d), 1 * G);
    fake_add(c->fh, 8, "newer", 1 * G, 2 * G);
    assert_int_equal(bd_domains_scan(&c->d, NOW + 2000), 0);
    assert_int_equal(c->d.n_res, 1);
    assert_int_equal(c->d.res[0].id, 2);
}

/* Dom0 without memory/target: libxl creating it later is no external
 * writer; a real change afterwards is. */
static void test_dom0_target_appears(void **state)
{
    struct ctx *c = *state;
    struct bd_host_event ev;
    struct bd_domain *d0;
    bool kick = false;

    fake_add(c->fh, 0, "Domain-0", 1 * G, 1 * G);
    fake_set_key(c->fh, 0, "memory/target", NULL);
    fake_set_key(c->fh, 0, "memory/static-max", NULL);
    assert_int_equal(bd_domains_scan(&c->d, NOW), 0);
    d0 = bd_domain_find(&c->d, 0);
    assert_true(d0->usable);
    assert_int_equal(d0->target_kib, 1 * G);
    assert_int_equal(d0->static_max_kib, 1 * G + 1024);
    assert_int_equal(d0->limits.mode, BD_MODE_IGNORE);
    fake_set_num(c->fh, 0, "memory/target", 1 * G - 4 * M);
    snprintf(ev.path, sizeof(ev.path), "/local/domain/0/memory/target");
    bd_domains_event(&c->d, &ev, NOW, &kick);
    assert_int_equal(d0->hold_kib, 0);
    assert_int_equal(d0->target_kib, 1 * G - 4 * M);
    fake_set_num(c->fh, 0, "memory/target", 800 * M);
    bd_domains_event(&c->d, &ev, NOW, &kick);
    assert_int_equal(d0->hold_kib, 800 * M);
}

/* With nothing changing, balloond settles and then writes nothing. */
static void test_quiet_when_steady(void **state)
{
    struct ctx *c = *state;
    struct bd_host_event ev;
    bool kick = false;
    size_t writes_settled = 0, reads_before;
    uint64_t t, end = NOW + 30 * 60 * 1000;

    c->fh->phys.free_kib = 4 * G;
    c->fh->writes_take_effect = true;
    c->d.start_ms = NOW;
    fake_report(c->fh, 1, 2 * G, 2 * G - 700 * M, 1);
    fake_report(c->fh, 2, 1 * G, 1 * G - 300 * M, 1);
    for (t = NOW; t < end; t += 5000) {
        while (c->fh->h.ops->next_event(&c->fh->h, &ev) == 0)
            bd_domains_event(&c->d, &ev, t, &kick);
        bd_domains_scan(&c->d, t);
        bd_domains_process_dirty(&c->d, t, &kick);
        assert_int_equal(bd_rebalance(&c->d, t), 0);
        if (t == end - 10 * 60 * 1000) {
            writes_settled = c->fh->n_writes;
            reads_before = c->fh->n_reads;
        }
        /* The guests' use is constant: they report the same numbers
         * (an unchanged report keeps its sequence number). */
    }
    /* It did move memory at first (free memory to use)... */
    assert_true(writes_settled > 0);
    /* ...and then nothing in the last ten minutes: no writes, and no
     * xenstore reads either (nothing fired a watch). */
    assert_int_equal(c->fh->n_writes, writes_settled);
    assert_int_equal(c->fh->n_reads, reads_before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shrink_before_grow, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grow_waits_without_free, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_partial_grow_waits_for_a_chunk,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_growth_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vanished_domain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_outside_limits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_writer_held, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flood_is_coalesced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_garbage_report, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rebalance_tight_host, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stuck_retry_is_written, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_startup_defers_shrinks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reservation_taken_by_new_domain,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_dom0_target_appears, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quiet_when_steady, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
