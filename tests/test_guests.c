/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_guests.c - the guests balloond meets: quiet reporters, reports read
 * whole, renames, domains in transit; the real daemon (one cycle) on a
 * fake host.
 *
 * Asserts: a write-on-change report (XenServer's data/meminfo_*, Qubes'
 * memory/meminfo) stays the guest's report past stats-max-age while the
 * domain exists and its keys stay, and ends when the keys go, even
 * without a watch event; an agent report (it has a heartbeat) still ages
 * out; when memory is short, guests with known slack give first and a
 * guest that reports nothing keeps its target; the keys of a report are
 * read as one snapshot; XenServer's one-key-at-a-time writes are normal,
 * not a warning, unless they stay inconsistent; an empty Qubes
 * memory/meminfo is "no report yet", silently; `xl rename` moves rules
 * and lookups to the new name; a domain arriving by migration
 * (NAME--incoming) gets NAME's rules.
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

#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/reserve.h"
#include "tests/fake_host.h"

#define M (UINT64_C(1024))
#define G (UINT64_C(1024) * 1024)
#define T0 (UINT64_C(3600) * 1000) /* well after start: no start-up rule */
#define TICK_MS UINT64_C(5000)

struct ctx {
    struct fake_host *fh;
    struct bd_config *cfg;
    struct bd_daemon d;
    uint64_t now_ms;
};

static uint64_t t_now(void *ud)
{
    return ((struct ctx *)ud)->now_ms;
}

static const struct bd_daemon_hooks hooks = {.now_ms = t_now};

static const char cfg_text[] = "[host]\n"
                               "reserve = 256M\n"
                               "start-pool = 0\n"
                               "[domain web]\n"
                               "min = 1G\n"
                               "weight = 300\n";

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *errs = NULL;

    assert_non_null(c);
    c->fh = fake_host_new(8 * G, 300 * M);
    c->fh->writes_take_effect = true;
    assert_int_equal(bd_config_load_string("test", cfg_text, &c->cfg, &errs),
                     0);
    free(errs);
    free(c->cfg->state_path); /* the default is not ours */
    c->cfg->state_path = NULL;
    bd_daemon_init(&c->d, c->cfg, &c->fh->h);
    c->d.hooks = &hooks;
    c->d.hooks_ud = c;
    c->now_ms = T0;
    bd_log_level = getenv("BD_TEST_VERBOSE") ? 7 : 2;
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

/* Run the daemon as its loop would until now + ms: events drained and
 * reports read as they come, one cycle per tick. */
static void run_for(struct ctx *c, uint64_t ms)
{
    uint64_t end = c->now_ms + ms;

    do {
        bool kick = false;
        uint64_t next = 0;

        assert_int_equal(bd_daemon_drain(&c->d, c->now_ms, &kick, &next), 0);
        assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
        c->now_ms += TICK_MS;
    } while (c->now_ms <= end);
    c->now_ms = end;
}

static void xs_report(struct ctx *c, uint32_t domid, uint64_t total,
                      uint64_t free_kib)
{
    fake_set_num(c->fh, domid, "data/meminfo_total", total);
    fake_set_num(c->fh, domid, "data/meminfo_free", free_kib);
}

static struct bd_domain *dom(struct ctx *c, uint32_t domid)
{
    struct bd_domain *d = bd_domain_find(&c->d, domid);

    assert_non_null(d);
    return d;
}

/* Both write-on-change formats stay valid past stats-max-age. */
static void test_quiet_reports_stay_valid(void **state)
{
    struct ctx *c = *state;
    uint64_t age = c->cfg->policy.stats_max_age_ms;

    fake_add(c->fh, 1, "xs", 2 * G, 4 * G);
    fake_add(c->fh, 2, "qubes", 2 * G, 4 * G);
    xs_report(c, 1, 2 * G - 100 * M, 2 * G - 600 * M);
    fake_set_num(c->fh, 2, "memory/meminfo", 400 * M);
    run_for(c, 2 * age + 10000);
    assert_true(dom(c, 1)->stats.present);
    assert_true(dom(c, 2)->stats.present);
    assert_int_equal(dom(c, 1)->dec.state, BD_STATE_OK);
    assert_int_equal(dom(c, 2)->dec.state, BD_STATE_OK);
    assert_int_equal(dom(c, 1)->stats.used_kib, 500 * M);
    assert_int_equal(c->d.cnt.stats_rejected, 0);
    /* The unchanged report kept the time it arrived. */
    assert_int_equal(dom(c, 1)->stats.time_ms, T0);
}

/* The agent writes a heartbeat: without one its report ages out. */
static void test_agent_report_ages(void **state)
{
    struct ctx *c = *state;

    fake_add(c->fh, 1, "ag", 2 * G, 4 * G);
    fake_report(c->fh, 1, 2 * G, 1 * G, 1);
    run_for(c, c->cfg->policy.stats_max_age_ms + 10000);
    assert_int_equal(dom(c, 1)->dec.state, BD_STATE_NO_STATS);
}

/* Keys removed without a watch event (an event lost, a toolstack that
 * cleaned up) end a quiet report at the next look, well before
 * stats-max-age. */
static void test_quiet_report_rechecked(void **state)
{
    struct ctx *c = *state;

    fake_add(c->fh, 1, "xs", 2 * G, 4 * G);
    xs_report(c, 1, 2 * G - 100 * M, 1 * G);
    run_for(c, 10000);
    assert_true(dom(c, 1)->stats.present);
    c->fh->gen++;
    for (size_t i = 0; i < c->fh->doms[0].n_keys;) {
        struct fake_key *k = &c->fh->doms[0].keys[i];
        if (strncmp(k->rel, "data/", 5) == 0)
            *k = c->fh->doms[0].keys[--c->fh->doms[0].n_keys];
        else
            i++;
    }
    run_for(c, BD_STATS_RECHECK_MS + 2 * TICK_MS);
    assert_false(dom(c, 1)->stats.present);
}

/*
 * Memory gets short (a reservation): the guests whose reports show slack
 * give it; the guest that reports nothing keeps its target.  Before, the
 * quiet reports had aged out and all three were cut alike.
 */
static void test_short_takes_known_slack_first(void **state)
{
    struct ctx *c = *state;
    char err[128];
    size_t w0;

    c->fh->phys.free_kib = 300 * M;
    fake_add(c->fh, 1, "xs", 2 * G, 4 * G);
    fake_add(c->fh, 2, "qubes", 2 * G, 4 * G);
    fake_add(c->fh, 3, "silent", 2 * G, 4 * G);
    xs_report(c, 1, 2 * G - 100 * M, 700 * M);
    fake_set_num(c->fh, 2, "memory/meminfo", 1300 * M);
    run_for(c, 2 * c->cfg->policy.stats_max_age_ms);
    assert_int_equal(fake_get_num(c->fh, 3, "memory/target"), 2 * G);

    w0 = c->fh->n_writes;
    assert_int_equal(bd_res_add(&c->d, 600 * M, 60000, false, NULL, c->now_ms, err,
                                sizeof(err)),
                     0);
    run_for(c, 60000);
    /* The reservation was granted, from the two with known slack. */
    assert_true(c->d.n_res == 1 && c->d.res[0].granted);
    assert_true(fake_get_num(c->fh, 1, "memory/target") < 2 * G);
    assert_true(fake_get_num(c->fh, 2, "memory/target") < 2 * G);
    assert_int_equal(fake_get_num(c->fh, 3, "memory/target"), 2 * G);
    for (size_t i = w0; i < c->fh->n_writes; i++)
        assert_int_not_equal(c->fh->writes[i].domid, 3);
}

/* xe-daemon writes meminfo_total, then meminfo_free, no transaction: the
 * moment between is normal.  The report in hand stays, nothing is
 * logged or counted, and the next read takes the new pair. */
static void test_xenserver_one_key_at_a_time(void **state)
{
    struct ctx *c = *state;
    struct bd_domain *d;

    fake_add(c->fh, 1, "xs", 2 * G, 4 * G);
    xs_report(c, 1, 2 * G - 100 * M, 1800 * M);
    run_for(c, 10000);
    d = dom(c, 1);
    assert_int_equal(d->stats.used_kib, 2 * G - 1900 * M);
    /* total shrinks first: for a moment free is above it */
    fake_set_num(c->fh, 1, "data/meminfo_total", 1500 * M);
    fake_event(c->fh, "/local/domain/1/data/meminfo_total");
    run_for(c, 0);
    assert_true(d->stats.present);
    assert_int_equal(d->stats.used_kib, 2 * G - 1900 * M);
    assert_string_equal(d->stats_err, "");
    assert_int_equal(c->d.cnt.stats_rejected, 0);
    fake_set_num(c->fh, 1, "data/meminfo_free", 1200 * M);
    fake_event(c->fh, "/local/domain/1/data/meminfo_free");
    run_for(c, TICK_MS);
    assert_int_equal(d->stats.used_kib, 300 * M);
    assert_int_equal(c->d.cnt.stats_rejected, 0);

    /* A pair that stays inconsistent is what the guest says: bad. */
    fake_set_num(c->fh, 1, "data/meminfo_free", 1600 * M);
    fake_event(c->fh, "/local/domain/1/data/meminfo_free");
    run_for(c, BD_STATS_TORN_MS + 2 * TICK_MS);
    assert_false(d->stats.present);
    assert_string_equal(d->stats_err, "data/meminfo_free: meminfo_free "
                                      "above meminfo_total");
    assert_int_equal(c->d.cnt.stats_rejected, 1);
}

/* A writer between two reads: the report is read as one snapshot, so
 * balloond sees the old pair or the new one, never half of each. */
static int mid_writes;

static void writer_between(struct fake_host *fh, uint32_t domid,
                           const char *rel)
{
    if (mid_writes == 0 || strcmp(rel, "data/meminfo_total") != 0)
        return;
    mid_writes--;
    fake_set_num(fh, domid, "data/meminfo_total", 2 * G);
    fake_set_num(fh, domid, "data/meminfo_free", 1500 * M);
}

static void test_report_read_whole(void **state)
{
    struct ctx *c = *state;
    struct bd_domain *d;

    fake_add(c->fh, 1, "xs", 2 * G, 4 * G);
    xs_report(c, 1, 1 * G, 512 * M);
    run_for(c, 10000);
    d = dom(c, 1);
    assert_int_equal(d->stats.used_kib, 512 * M);
    c->fh->mid_read = writer_between;
    mid_writes = 1;
    /* One read gives the new pair, whole (not "being written"). */
    assert_int_equal(bd_domain_read_stats(&c->d, d, c->now_ms + 2000), 0);
    assert_int_equal(mid_writes, 0);
    assert_false(d->stats_dirty);
    assert_true(d->stats.present);
    assert_int_equal(d->stats.used_kib, 548 * M);
    assert_string_equal(d->stats_err, "");
    c->fh->mid_read = NULL;
}

/* qubesd creates memory/meminfo empty: no report yet, no warning. */
static void test_qubes_empty_is_no_report(void **state)
{
    struct ctx *c = *state;

    fake_add(c->fh, 1, "q", 2 * G, 4 * G);
    fake_set_key(c->fh, 1, "memory/meminfo", "");
    run_for(c, 10000);
    assert_false(dom(c, 1)->stats.present);
    assert_string_equal(dom(c, 1)->stats_err, "");
    assert_int_equal(c->d.cnt.stats_rejected, 0);
    assert_int_equal(dom(c, 1)->dec.state, BD_STATE_NO_STATS);
}

/* xl rename: rules and lookups follow the new name at once. */
static void test_rename_moves_rules(void **state)
{
    struct ctx *c = *state;

    fake_add(c->fh, 1, "db", 2 * G, 4 * G);
    run_for(c, 0);
    assert_int_equal(dom(c, 1)->limits.weight, 100);
    fake_rename(c->fh, 1, "web");
    run_for(c, 0);
    assert_string_equal(dom(c, 1)->name, "web");
    assert_int_equal(dom(c, 1)->limits.weight, 300);
    assert_int_equal(dom(c, 1)->limits.min_kib, 1 * G);
    assert_ptr_equal(bd_domain_by_name(&c->d, "web"), dom(c, 1));
    assert_null(bd_domain_by_name(&c->d, "db"));
}

/* A domain arriving by migration is built as NAME--incoming: it gets
 * NAME's rules from the start and answers to NAME, unless another domain
 * already does. */
static void test_incoming_matched_by_final_name(void **state)
{
    struct ctx *c = *state;

    fake_add(c->fh, 1, "web--incoming", 2 * G, 4 * G);
    run_for(c, 0);
    assert_int_equal(dom(c, 1)->limits.weight, 300);
    assert_ptr_equal(bd_domain_by_name(&c->d, "web"), dom(c, 1));
    fake_add(c->fh, 2, "web--migratedaway", 2 * G, 4 * G);
    run_for(c, 0);
    assert_null(bd_domain_by_name(&c->d, "web")); /* two answer to it */
    fake_rename(c->fh, 1, "web");
    run_for(c, 0);
    assert_ptr_equal(bd_domain_by_name(&c->d, "web"), dom(c, 1));
}

static void test_final_name(void **state)
{
    char buf[BD_DOMAIN_NAME_MAX], small[4];

    (void)state;
    assert_string_equal(bd_domain_final_name("g1--incoming", buf, sizeof(buf)),
                        "g1");
    assert_string_equal(
        bd_domain_final_name("g1--migratedaway", buf, sizeof(buf)), "g1");
    assert_string_equal(bd_domain_final_name("g1", buf, sizeof(buf)), "g1");
    /* nothing before the suffix: a name of its own */
    assert_string_equal(bd_domain_final_name("--incoming", buf, sizeof(buf)),
                        "--incoming");
    assert_string_equal(
        bd_domain_final_name("g1--incoming-x", buf, sizeof(buf)),
        "g1--incoming-x");
    assert_string_equal(
        bd_domain_final_name("long--incoming", small, sizeof(small)),
        "long--incoming");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quiet_reports_stay_valid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_agent_report_ages, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quiet_report_rechecked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_short_takes_known_slack_first,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_xenserver_one_key_at_a_time,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_read_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_qubes_empty_is_no_report, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rename_moves_rules, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_incoming_matched_by_final_name,
                                        setup, teardown),
        cmocka_unit_test(test_final_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
