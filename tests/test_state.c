/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_state.c - persistence of runtime overrides, and restart recovery.
 *
 * The state file must round-trip pins, runtime limits and external holds;
 * apply only to the same domain (domid and name); be replaced atomically;
 * and a corrupt file (every class of damage) must be refused as a whole.
 * Restart recovery runs balloond's cycle on the simulated host, "kills"
 * the daemon (its memory is simply dropped, as with kill -9) and starts a
 * new one on the same host: the newcomer must keep the pins and limits
 * and write no burst of targets.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/state.h"
#include "sim/host_sim.h"
#include "sim/sim.h"
#include "tests/fake_host.h"

#define M (UINT64_C(1024))
#define G (UINT64_C(1024) * 1024)


static char dir[64];
static char path[128];

static struct bd_config *new_cfg(void)
{
    struct bd_config *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    assert_int_equal(bd_config_init(c), 0);
    free(c->state_path);
    c->state_path = strdup(path);
    return c;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bd-test-state-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/state", dir);
    bd_log_level = getenv("BD_TEST_VERBOSE") ? 7 : 2;
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void write_file(const char *text)
{
    FILE *f;
    char sub[128];

    snprintf(sub, sizeof(sub), "%s/sub", dir);
    mkdir(sub, 0700);
    f = fopen(path, "w");
    assert_non_null(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
}

static void test_roundtrip(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d, d2;
    struct bd_domain *a, *b;
    struct stat sb;
    char tmp[160];

    (void)state;
    fake_add(fh, 1, "web one", 1 * G, 4 * G); /* a name with a space */
    fake_add(fh, 2, "db", 1 * G, 4 * G);
    fake_add(fh, 3, "plain", 1 * G, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_domains_scan(&d, 1000), 0);
    a = bd_domain_find(&d, 1);
    b = bd_domain_find(&d, 2);
    a->pin_kib = 700 * M;
    a->ovr.has_min = true;
    a->ovr.min_kib = 256 * M;
    a->ovr.has_mode = true;
    a->ovr.mode = BD_MODE_FIXED;
    b->ovr.has_weight = true;
    b->ovr.weight = 300;
    b->ovr.has_max = true;
    b->ovr.max_kib = 3 * G;
    b->hold_kib = 900 * M;
    b->hold_until_ms = 1000 + 60000;
    /* The directory does not exist yet: it is created. */
    assert_int_equal(bd_state_save(&d, path, 1000), 0);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_not_equal(stat(tmp, &sb), 0); /* no temp file left */
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* A new daemon (restart) on the same host. */
    bd_daemon_init(&d2, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d2, path, 5), 0);
    assert_int_equal(d2.n_pending, 2);
    assert_int_equal(bd_domains_scan(&d2, 5), 0);
    a = bd_domain_find(&d2, 1);
    b = bd_domain_find(&d2, 2);
    assert_int_equal(a->pin_kib, 700 * M);
    assert_true(a->ovr.has_min);
    assert_int_equal(a->ovr.min_kib, 256 * M);
    assert_int_equal(a->limits.min_kib, 256 * M);
    assert_int_equal(a->limits.mode, BD_MODE_FIXED);
    assert_false(a->ovr.has_max);
    assert_int_equal(b->limits.weight, 300);
    assert_int_equal(b->limits.max_kib, 3 * G);
    assert_int_equal(b->hold_kib, 900 * M);
    assert_true(b->hold_until_wall > 0);
    /* The hold's end is carried over (about 60 s left). */
    bd_domains_expire(&d2, 5);
    assert_true(b->hold_until_ms >= 5 + 58000 &&
                b->hold_until_ms <= 5 + 62000);
    assert_int_equal(bd_domain_find(&d2, 3)->pin_kib, 0);
    assert_int_equal(d2.n_pending, 0);

    bd_daemon_dispose(&d);
    bd_daemon_dispose(&d2);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* A state file as balloond 0.1.0 wrote it (pins, limits, a hold, a name
 * with a space) loads unchanged into this release. */
static void test_loads_0_1_0_file(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d;
    struct bd_domain *a, *b;

    (void)state;
    write_file("balloond-state 1\n"
               "dom 1 pin=716800 min=262144 mode=fixed name=web one\n"
               "dom 2 max=3145728 weight=300 hold=921600 "
               "hold-until=4102444800 name=db\n");
    fake_add(fh, 1, "web one", 1 * G, 4 * G);
    fake_add(fh, 2, "db", 1 * G, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d, path, 5), 0);
    assert_int_equal(d.n_pending, 2);
    assert_int_equal(d.n_res, 0);
    assert_int_equal(bd_domains_scan(&d, 5), 0);
    a = bd_domain_find(&d, 1);
    b = bd_domain_find(&d, 2);
    assert_int_equal(a->pin_kib, 700 * M);
    assert_int_equal(a->limits.min_kib, 256 * M);
    assert_int_equal(a->limits.mode, BD_MODE_FIXED);
    assert_int_equal(b->limits.max_kib, 3 * G);
    assert_int_equal(b->limits.weight, 300);
    assert_int_equal(b->hold_kib, 900 * M);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* A granted reservation survives a restart under its id, held for what
 * was left of it; a waiting one, an ended one and a damaged line do not
 * (the damaged file is ignored as a whole, the reservations too). */
static void test_reservations_survive_restart(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d, d2;
    char text[256];

    (void)state;
    bd_daemon_init(&d, cfg, &fh->h);
    d.res[0] = (struct bd_reservation){.id = 7, .kib = 1 * G, .granted = true,
                                       .expires_ms = 1000 + 40000};
    d.res[1] = (struct bd_reservation){.id = 8, .kib = 2 * G,
                                       .expires_ms = 1000 + 40000};
    d.n_res = 2;
    d.next_res_id = 9;
    assert_int_equal(bd_state_save(&d, path, 1000), 0);

    bd_daemon_init(&d2, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d2, path, 5), 0);
    assert_int_equal(d2.n_res, 1);
    assert_int_equal(d2.res[0].id, 7);
    assert_int_equal(d2.res[0].kib, 1 * G);
    assert_true(d2.res[0].granted);
    assert_true(d2.res[0].expires_ms >= 5 + 39000 &&
                d2.res[0].expires_ms <= 5 + 42000);
    assert_true(d2.next_res_id > 7);
    bd_daemon_dispose(&d2);

    /* ended: dropped; held at most reserve-hold from the restart */
    snprintf(text, sizeof(text), "balloond-state 1\nres 3 kib=1024 until=%lld\n"
             "res 4 kib=2048 until=%lld\n", (long long)time(NULL) - 5,
             (long long)time(NULL) + 86400);
    write_file(text);
    bd_daemon_init(&d2, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d2, path, 5), 0);
    assert_int_equal(d2.n_res, 1);
    assert_int_equal(d2.res[0].id, 4);
    assert_true(d2.res[0].expires_ms <= 5 + cfg->reserve_hold_ms);
    bd_daemon_dispose(&d2);

    /* damaged: nothing at all, reservations included */
    write_file("balloond-state 1\nres 3 kib=1024 until=99999999999\n"
               "res 5 kib=0 until=1\n");
    bd_daemon_init(&d2, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d2, path, 5), -EINVAL);
    assert_int_equal(d2.n_res, 0);
    write_file("balloond-state 1\nres 3 kib=1024 until=4102444800\n"
               "res 3 kib=1024 until=4102444800\n");
    assert_int_equal(bd_state_load(&d2, path, 5), -EINVAL);
    assert_int_equal(d2.n_res, 0);
    write_file("balloond-state 1\nres 3 kib=1024\n");
    assert_int_equal(bd_state_load(&d2, path, 5), -EINVAL);
    bd_daemon_dispose(&d2);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* An entry belongs to one domain: same id but another name (the domain
 * was destroyed and its id reused) gets nothing. */
static void test_only_same_domain(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d;

    (void)state;
    write_file("balloond-state 1\n"
               "dom 1 pin=524288 name=old\n"
               "dom 2 weight=50 name=db\n"
               "dom 9 pin=524288 name=gone\n");
    fake_add(fh, 1, "new", 1 * G, 4 * G);
    fake_add(fh, 2, "db", 1 * G, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d, path, 0), 0);
    assert_int_equal(bd_domains_scan(&d, 0), 0);
    assert_int_equal(bd_domain_find(&d, 1)->pin_kib, 0);
    assert_int_equal(bd_domain_find(&d, 2)->limits.weight, 50);
    /* The entry of the domain that did not come back is dropped. */
    assert_int_equal(d.n_pending, 1);
    bd_state_pending_drop(&d);
    assert_int_equal(d.n_pending, 0);
    assert_true(d.state_dirty);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

static void test_corrupt_files(void **state)
{
    static const char *const bad[] = {
        "",                                             /* empty */
        "balloond-state 2\n",                           /* other version */
        "hello\ndom 1 pin=5 name=a\n",                  /* no magic */
        "balloond-state 1\ndom 1 pin=524288 name=a",    /* truncated */
        "balloond-state 1\ndom 1 pin=-5 name=a\n",
        "balloond-state 1\ndom 1 pin=abc name=a\n",
        "balloond-state 1\ndom 1 pin=0 name=a\n",
        "balloond-state 1\ndom 1 pin=99999999999999999999 name=a\n",
        "balloond-state 1\ndom 1 colour=blue name=a\n",  /* unknown field */
        "balloond-state 1\ndom 1 pin=524288\n",         /* no name */
        "balloond-state 1\ndom 1 pin=524288 name=\n",   /* empty name */
        "balloond-state 1\ndom x pin=524288 name=a\n",
        "balloond-state 1\ndom 99999 pin=524288 name=a\n",
        "balloond-state 1\ndom 1 weight=0 name=a\n",
        "balloond-state 1\ndom 1 weight=10001 name=a\n",
        "balloond-state 1\ndom 1 mode=turbo name=a\n",
        "balloond-state 1\ndom 1 min=2000000 max=1000000 name=a\n",
        "balloond-state 1\nvm 1 pin=524288 name=a\n",
        "balloond-state 1\ndom 1 pin524288 name=a\n",
        "balloond-state 1\ndom 1 name="
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
    };
    struct bd_config *cfg = new_cfg();
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct bd_daemon d;

        bd_daemon_init(&d, cfg, &fh->h);
        /* A good entry first: it must not be applied either. */
        write_file(bad[i]);
        assert_int_equal(bd_state_load(&d, path, 0), -EINVAL);
        assert_int_equal(d.n_pending, 0);
        bd_daemon_dispose(&d);
    }
    /* A NUL byte inside a line. */
    {
        struct bd_daemon d;
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fwrite("balloond-state 1\ndom 1 pin=5\0 name=a\n", 1, 37, f);
        fclose(f);
        bd_daemon_init(&d, cfg, &fh->h);
        assert_int_equal(bd_state_load(&d, path, 0), -EINVAL);
        assert_int_equal(d.n_pending, 0);
        bd_daemon_dispose(&d);
    }
    /* Good entries followed by a bad line: nothing applied. */
    {
        struct bd_daemon d;
        write_file("balloond-state 1\ndom 1 pin=524288 name=a\ndom 2 x\n");
        bd_daemon_init(&d, cfg, &fh->h);
        assert_int_equal(bd_state_load(&d, path, 0), -EINVAL);
        assert_int_equal(d.n_pending, 0);
        bd_daemon_dispose(&d);
    }
    /* No file at all is fine. */
    {
        struct bd_daemon d;
        unlink(path);
        bd_daemon_init(&d, cfg, &fh->h);
        assert_int_equal(bd_state_load(&d, path, 0), 0);
        bd_daemon_dispose(&d);
    }
    bd_config_free(cfg);
    fake_host_free(fh);
}

/*
 * Regression (issue 14): hold-until far in the future overflowed when
 * turned into milliseconds and the hold ended at once.  A sane far date is
 * cut to the longest hold; a date past year 9999 is damage (file refused).
 */
static void test_hold_until_far_future(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d;
    struct bd_domain *a;
    char text[200];
    uint64_t now = 5000;

    (void)state;
    fake_add(fh, 1, "a", 1 * G, 4 * G);
    snprintf(text, sizeof(text), "balloond-state 1\ndom 1 hold=524288 "
             "hold-until=%lld name=a\n",
             (long long)time(NULL) + 10LL * 365 * 24 * 3600);
    write_file(text);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d, path, now), 0);
    assert_int_equal(bd_domains_scan(&d, now), 0);
    a = bd_domain_find(&d, 1);
    bd_domains_expire(&d, now);
    assert_int_equal(a->hold_kib, 512 * M);
    assert_true(a->hold_until_ms > now);
    assert_true(a->hold_until_ms <= now + BD_DURATION_MAX_MS + 2000);
    bd_daemon_dispose(&d);

    write_file("balloond-state 1\ndom 1 hold=524288 "
               "hold-until=9223372036854775807 name=a\n");
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d, path, now), -EINVAL);
    assert_int_equal(d.n_pending, 0);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* Regression (issue 14): with two entries for one domid, the one that
 * matches the domain (by name) must be used wherever it is in the file;
 * of two for the same domain the last wins. */
static void test_duplicate_domids(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d;

    (void)state;
    write_file("balloond-state 1\n"
               "dom 2 weight=70 name=b\n"
               "dom 1 pin=524288 name=old\n"
               "dom 3 weight=10 name=c\n"
               "dom 1 pin=600000 name=new\n"
               "dom 2 weight=80 name=b\n");
    fake_add(fh, 1, "new", 1 * G, 4 * G);
    fake_add(fh, 2, "b", 1 * G, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d, path, 0), 0);
    assert_int_equal(bd_domains_scan(&d, 0), 0);
    assert_int_equal(bd_domain_find(&d, 1)->pin_kib, 600000);
    assert_int_equal(bd_domain_find(&d, 2)->limits.weight, 80);
    /* Only the entry of the domain that did not come back is left. */
    assert_int_equal(d.n_pending, 1);
    assert_int_equal(d.pending[0].domid, 3);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* A hold loaded from the file and saved again before the loop put it on
 * its own clock keeps its end (it was written as 0: "forever"). */
static void test_restored_hold_saved_again(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d;
    long long until = (long long)time(NULL) + 600;
    char text[200];

    (void)state;
    fake_add(fh, 1, "a", 1 * G, 4 * G);
    snprintf(text, sizeof(text), "balloond-state 1\ndom 1 hold=524288 "
             "hold-until=%lld name=a\n", until);
    write_file(text);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d, path, 0), 0);
    assert_int_equal(bd_domains_scan(&d, 0), 0);
    assert_int_equal(bd_state_save(&d, path, 0), 0);
    bd_daemon_dispose(&d);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_state_load(&d, path, 0), 0);
    assert_int_equal(d.n_pending, 1);
    assert_int_equal(d.pending[0].hold_until_wall, until);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* A write that fails (no such directory, cannot be created) leaves the
 * old file as it was. */
static void test_save_failure_keeps_old(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d;
    char bad[200];

    (void)state;
    fake_add(fh, 1, "a", 1 * G, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_domains_scan(&d, 0), 0);
    bd_domain_find(&d, 1)->pin_kib = 512 * M;
    snprintf(bad, sizeof(bad), "%s/no/such/dir/state", dir);
    assert_true(bd_state_save(&d, bad, 0) < 0);
    assert_int_equal(bd_state_save(&d, path, 0), 0);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* The metrics file is rewritten at most once per interval, however many
 * cycles kicks add in between (the socket's answer stays live). */
static void test_metrics_file_once_per_interval(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 4 * G);
    struct bd_config *cfg = new_cfg();
    struct bd_daemon d;
    char mpath[160];
    struct stat st;
    uint64_t iv;

    (void)state;
    snprintf(mpath, sizeof(mpath), "%s/metrics.prom", dir);
    cfg->metrics_path = strdup(mpath);
    iv = cfg->interval_ms;
    fake_add(fh, 1, "a", 1 * G, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_cycle(&d, 1000, NULL), 0);
    assert_int_equal(stat(mpath, &st), 0);
    assert_int_equal(unlink(mpath), 0);
    assert_int_equal(bd_cycle(&d, 1000 + iv / 2, NULL), 0);
    assert_int_equal(bd_cycle(&d, 1000 + iv - 1, NULL), 0);
    assert_true(stat(mpath, &st) < 0);
    assert_int_equal(bd_cycle(&d, 1000 + iv, NULL), 0);
    assert_int_equal(stat(mpath, &st), 0);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* The model steps, its events are drained, the one cycle runs. */
static size_t cycle(struct bd_daemon *d, struct bd_host *h, uint64_t now)
{
    bool kick = false;
    uint64_t next = 0;
    struct bd_sim *sim = bd_host_sim_model(h);
    struct bd_sim_stats st0, st;
    size_t writes = 0, n = bd_sim_count(sim);
    uint64_t before[64] = {0};

    for (size_t i = 0; i < n && i < 64; i++) {
        struct bd_sim_dominfo di;
        bd_sim_dominfo_at(sim, i, &di);
        bd_sim_dom_stats(sim, di.domid, &st0);
        before[i] = st0.target_changes;
    }
    assert_int_equal(h->ops->step(h, now), 0);
    assert_int_equal(bd_daemon_drain(d, now, &kick, &next), 0);
    assert_int_equal(bd_cycle(d, now, NULL), 0);
    for (size_t i = 0; i < n && i < 64; i++) {
        struct bd_sim_dominfo di;
        bd_sim_dominfo_at(sim, i, &di);
        bd_sim_dom_stats(sim, di.domid, &st);
        writes += st.target_changes - before[i];
        /* Nobody ever leaves its limits. */
        {
            struct bd_domain *dom = bd_domain_find(d, di.domid);
            if (dom && dom->limits.mode != BD_MODE_IGNORE &&
                dom->target_kib != 0) {
                assert_true(di.target_kib >= dom->limits.min_kib);
                assert_true(di.target_kib <= dom->limits.max_kib);
            }
        }
    }
    return writes;
}

static void test_restart_without_burst(void **state)
{
    struct bd_config *cfg = new_cfg();
    struct bd_host *h = NULL;
    struct bd_daemon d1, d2;
    struct bd_domain *b;
    uint64_t t = 0;
    size_t w1 = 0, w2 = 0, w2_first = 0;

    (void)state;
    unlink(path);
    assert_int_equal(bd_host_sim_open("basic", 0, &h), 0);
    bd_daemon_init(&d1, cfg, h);
    d1.start_ms = 0;
    assert_int_equal(h->ops->watch(h, "@introduceDomain", "i"), 0);
    /* Ten minutes of a first daemon, with a pin and a runtime limit. */
    for (t = 0; t < 10 * 60 * 1000; t += 5000) {
        w1 += cycle(&d1, h, t);
        if (t == 60000) {
            bd_domain_find(&d1, 1)->pin_kib = 1536 * M;
            b = bd_domain_find(&d1, 2);
            b->ovr.has_min = true;
            b->ovr.min_kib = 900 * M;
            bd_domain_apply_limits(&d1, b);
            assert_int_equal(bd_state_save(&d1, path, t), 0);
        }
    }
    assert_true(w1 > 0);
    assert_int_equal(bd_sim_dominfo(bd_host_sim_model(h), 1,
                                    &(struct bd_sim_dominfo){0}), 0);

    /* kill -9: d1's memory is gone (never disposed cleanly before the new
     * one starts); a fresh daemon starts on the same host. */
    bd_daemon_init(&d2, cfg, h);
    d2.start_ms = t;
    assert_int_equal(bd_state_load(&d2, path, t), 0);
    w2_first = cycle(&d2, h, t);
    bd_state_pending_drop(&d2);
    for (uint64_t u = t + 5000; u < t + 60000; u += 5000)
        w2 += cycle(&d2, h, u);
    /* The pin and the limit survived. */
    assert_int_equal(bd_domain_find(&d2, 1)->pin_kib, 1536 * M);
    assert_int_equal(bd_domain_find(&d2, 2)->limits.min_kib, 900 * M);
    /* No burst: the first plan writes at most what the workload needs
     * right now (one domain), and the first minute no more than the first
     * daemon wrote in an average minute. */
    assert_true(w2_first <= 1);
    assert_true(w2 <= w1 / 10 + 1);
    if (getenv("BD_TEST_VERBOSE"))
        fprintf(stderr, "writes: first daemon %zu in 10 min; after restart "
                        "%zu in the first cycle, %zu in the next minute\n",
                w1, w2_first, w2);
    bd_daemon_dispose(&d1);
    bd_daemon_dispose(&d2);
    h->ops->destroy(h);
    bd_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loads_0_1_0_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservations_survive_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_only_same_domain, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_until_far_future, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_domids, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restored_hold_saved_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_save_failure_keeps_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_metrics_file_once_per_interval,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_without_burst, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
