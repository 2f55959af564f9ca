/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_handlers.c - the control socket's answers (daemon/control/handlers.c) on a
 * fake host, without an event loop.
 *
 * The handlers take the daemon as userdata and run the one cycle after a
 * change.  These cases hold them to: a domain destroyed between two scans
 * is never used after it was freed (set, auto, limits; run under ASan), a
 * change is written to the host before the reply, set is admitted by the
 * shared rule (limits, free memory above the reserve), and a reservation
 * is finished through the daemon's hook.
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
#include "daemon/control/handlers.h"
#include "daemon/cycle.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/reserve.h"
#include "tests/fake_host.h"

#define M (UINT64_C(1024))
#define G (UINT64_C(1024) * 1024)

struct ctx {
    struct fake_host *fh;
    struct bd_config *cfg;
    struct bd_daemon d;
    uint64_t now_ms;
    int reserve_done;
    struct bd_ctl_reserve_result res;
    struct bd_ctl_call call;
};

static uint64_t t_now(void *ud)
{
    return ((struct ctx *)ud)->now_ms;
}

static void t_reserve_done(void *ud, void *waiter,
                           const struct bd_ctl_reserve_result *r)
{
    struct ctx *c = ud;

    (void)waiter;
    c->reserve_done++;
    c->res = *r;
}

static const struct bd_daemon_hooks hooks = {
    .now_ms = t_now,
    .reserve_done = t_reserve_done,
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    c->fh = fake_host_new(8 * G, 2 * G);
    c->cfg = calloc(1, sizeof(*c->cfg));
    assert_int_equal(bd_config_init(c->cfg), 0);
    free(c->cfg->state_path);
    c->cfg->state_path = NULL;
    c->cfg->reserve.is_pct = false;
    c->cfg->reserve.kib = 256 * M;
    bd_daemon_init(&c->d, c->cfg, &c->fh->h);
    c->d.hooks = &hooks;
    c->d.hooks_ud = c;
    c->now_ms = 3600 * 1000; /* long after start: no start-up rule */
    bd_log_level = getenv("BD_TEST_VERBOSE") ? 7 : 2;
    fake_add(c->fh, 1, "a", 2 * G, 4 * G);
    fake_add(c->fh, 2, "b", 1 * G, 4 * G);
    assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
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

/* A fresh call as control.c prepares it: reply map open. */
static struct bd_ctl_call *call_new(struct ctx *c)
{
    memset(&c->call, 0, sizeof(c->call));
    c->call.userdata = &c->d;
    c->call.g = yajl_gen_alloc(NULL);
    assert_non_null(c->call.g);
    assert_int_equal(yajl_gen_map_open(c->call.g), yajl_gen_status_ok);
    return &c->call;
}

/* The reply so far, as text (valid until call_free). */
static const char *reply_text(struct bd_ctl_call *call)
{
    const unsigned char *buf;
    size_t len;

    assert_int_equal(yajl_gen_get_buf(call->g, &buf, &len),
                     yajl_gen_status_ok);
    return (const char *)buf;
}

static void call_free(struct bd_ctl_call *call)
{
    yajl_gen_free(call->g);
    call->g = NULL;
}

static struct bd_ctl_domref by_id(uint32_t domid)
{
    struct bd_ctl_domref r;

    memset(&r, 0, sizeof(r));
    r.by_id = true;
    r.domid = domid;
    return r;
}

static void test_set_domain_destroyed(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call = call_new(c);
    int rc;

    /* xl destroy: gone from the host, still in balloond's table. */
    fake_dom(c->fh, 1)->exists = false;
    rc = bd_handlers.set(call, &ref, 1 * G, false);
    assert_int_equal(rc, -ENOENT);
    assert_non_null(strstr(call->error, "no domain"));
    assert_null(bd_domain_find(&c->d, 1));
    assert_int_equal(c->fh->n_writes, 0);
    call_free(call);
}

static void test_auto_domain_destroyed(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call = call_new(c);

    bd_domain_find(&c->d, 1)->pin_kib = 1 * G;
    fake_dom(c->fh, 1)->exists = false;
    assert_int_equal(bd_handlers.auto_(call, &ref), -ENOENT);
    assert_non_null(strstr(call->error, "went away"));
    call_free(call);
}

static void test_limits_domain_destroyed(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_limits_args a;
    struct bd_ctl_call *call = call_new(c);

    memset(&a, 0, sizeof(a));
    a.domain = by_id(2);
    a.has_weight = true;
    a.weight = 200;
    fake_dom(c->fh, 2)->exists = false;
    assert_int_equal(bd_handlers.limits(call, &a), -ENOENT);
    assert_non_null(strstr(call->error, "went away"));
    call_free(call);
}

static void test_set_writes_before_reply(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call = call_new(c);

    assert_int_equal(bd_handlers.set(call, &ref, 1536 * M, false), 0);
    assert_int_equal(c->fh->n_writes, 1);
    assert_int_equal(c->fh->writes[0].domid, 1);
    assert_int_equal(c->fh->writes[0].kib, 1536 * M);
    assert_non_null(strstr(reply_text(call), "\"pinned\""));
    assert_int_equal(bd_domain_find(&c->d, 1)->pin_kib, 1536 * M);
    call_free(call);
}

static struct bd_ctl_domref by_name(const char *name)
{
    struct bd_ctl_domref r;

    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    return r;
}

/* Qubes' one-number report has no total: available is unknown (null),
 * never 0; used is there. */
static void test_show_available_unknown(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call;
    bool kick = false;

    fake_set_key(c->fh, 1, "memory/meminfo", "812345");
    bd_domain_find(&c->d, 1)->stats_dirty = true;
    bd_domains_process_dirty(&c->d, c->now_ms + 2000, &kick);
    call = call_new(c);
    assert_int_equal(bd_handlers.show(call, &ref, 1), 0);
    assert_non_null(strstr(reply_text(call), "\"used_kib\":812345"));
    assert_non_null(strstr(reply_text(call), "\"available_kib\":null"));
    call_free(call);
}

/* A Qubes one-number report has no MemTotal to learn the kernel overhead
 * from: it is estimated from static-max (4G: 64M + 4G/48), explain says
 * so, and set below the use it counts needs --force.  A configured
 * kernel-overhead replaces the estimate. */
static void test_overhead_estimated_or_configured(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call;
    bool kick = false;
    uint64_t est = 64 * M + 4 * G / 48;

    fake_set_key(c->fh, 1, "memory/meminfo", "812345");
    bd_domain_find(&c->d, 1)->stats_dirty = true;
    bd_domains_process_dirty(&c->d, c->now_ms + 2000, &kick);
    call = call_new(c);
    assert_int_equal(bd_handlers.explain(call, &ref), 0);
    assert_non_null(strstr(reply_text(call), "\"overhead_source\":"
                                             "\"estimated\""));
    assert_non_null(strstr(reply_text(call), "\"overhead_kib\":152917,"));
    call_free(call);
    /* above the report, below the report + the estimate */
    call = call_new(c);
    assert_int_equal(bd_handlers.set(call, &ref, 812345 + est - M, false),
                     -EPERM);
    assert_non_null(strstr(call->error, "kernel overhead 149M, estimated"));
    call_free(call);

    c->cfg->kernel_overhead.is_auto = false;
    c->cfg->kernel_overhead.size.kib = 200 * M;
    bd_domains_apply_config(&c->d);
    call = call_new(c);
    assert_int_equal(bd_handlers.explain(call, &ref), 0);
    assert_non_null(strstr(reply_text(call), "\"overhead_kib\":204800,"
                                             "\"overhead_source\":"
                                             "\"configured\""));
    call_free(call);
}

/* After xl rename, the new name finds the domain and the old one does
 * not; show says the new name. */
static void test_rename_followed(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref;
    struct bd_ctl_call *call;
    bool kick = false;
    uint64_t next;

    fake_rename(c->fh, 1, "a-renamed");
    assert_int_equal(bd_daemon_drain(&c->d, c->now_ms + 1000, &kick, &next),
                     0);
    assert_true(kick);
    call = call_new(c);
    ref = by_name("a-renamed");
    assert_int_equal(bd_handlers.set(call, &ref, 1536 * M, false), 0);
    assert_int_equal(bd_domain_find(&c->d, 1)->pin_kib, 1536 * M);
    call_free(call);
    call = call_new(c);
    ref = by_name("a");
    assert_int_not_equal(bd_handlers.set(call, &ref, 1024 * M, false), 0);
    call_free(call);
    call = call_new(c);
    ref = by_id(1);
    assert_int_equal(bd_handlers.show(call, &ref, 1), 0);
    assert_non_null(strstr(reply_text(call), "\"name\":\"a-renamed\""));
    call_free(call);
}

static void test_set_admission(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(2);
    struct bd_ctl_call *call = call_new(c);

    /* 2G free, 256M reserve, a pinned at what it holds (nothing to free
     * there): b (1G) cannot take 3G more, not even by freeing memory. */
    bd_domain_find(&c->d, 1)->pin_kib = 2 * G;
    assert_int_equal(bd_handlers.set(call, &ref, 4 * G, false), -ENOSPC);
    assert_non_null(strstr(call->error, "more than is free"));
    assert_non_null(strstr(call->error, "at most 1.75G can be freed"));
    call_free(call);
    call = call_new(c);
    assert_int_equal(bd_handlers.set(call, &ref, 5 * G, false), -ERANGE);
    assert_non_null(strstr(call->error, "outside"));
    assert_int_equal(c->fh->n_writes, 0);
    call_free(call);
}

static void test_reserve_finishes_through_hook(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_call *call = call_new(c);
    int waiter;

    /* 1G of the 2G free is there already: granted by the next cycle. */
    assert_int_equal(bd_handlers.reserve(call, 1 * G, 10000, false,
                                         (struct bd_ctl_pending *)&waiter),
                     0);
    assert_int_equal(c->reserve_done, 0);
    c->now_ms += 1000;
    assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
    assert_int_equal(c->reserve_done, 1);
    assert_true(c->res.ok);
    assert_int_equal(c->res.kib, 1 * G);
    call_free(call);
}

/* b reports 900M total, 300M available: uses 600M, and its kernel
 * keeps 124M outside MemTotal (1G current): 724M in target terms. */
/* b reports MemTotal 900M with avail_kib available (report seq), and a
 * cycle sees it. */
static void report_b_avail(struct ctx *c, uint64_t avail_kib, uint64_t seq)
{
    bool kick = false;
    uint64_t next = 0;

    fake_report(c->fh, 2, 900 * M, avail_kib, seq);
    c->now_ms += 2000;
    assert_int_equal(bd_daemon_drain(&c->d, c->now_ms, &kick, &next), 0);
    assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
    assert_true(bd_domain_find(&c->d, 2)->stats.present);
}

/* b uses 600M + its 124M overhead: 724M of its 1G. */
static void report_b(struct ctx *c)
{
    report_b_avail(c, 300 * M, 1);
}

/* A client's reserve request (10 s timeout) waiting on *waiter; its error
 * into err (when not NULL).  The handler's result. */
static int client_reserve(struct ctx *c, uint64_t kib, bool force,
                          int *waiter, char *err, size_t errlen)
{
    struct bd_ctl_call *call = call_new(c);
    int rc = bd_handlers.reserve(call, kib, 10000, force,
                                 (struct bd_ctl_pending *)waiter);

    if (err)
        snprintf(err, errlen, "%s", call->error);
    call_free(call);
    return rc;
}

/* A reservation that could only be met by cutting b below its use (724M
 * of its 1G) is refused, naming b, unless forced; a, which reports
 * nothing, counts for nothing either way (it is never cut). */
static void test_reserve_below_use_needs_force(void **state)
{
    struct ctx *c = *state;
    char err[BD_PROTO_ERR_MAX];
    int waiter;

    report_b(c);
    /* 2G free + b's 300M above its use, less the 256M reserve */
    assert_int_equal(client_reserve(c, 2560 * M, false, &waiter, err,
                                    sizeof(err)),
                     -ENOSPC);
    assert_non_null(strstr(err, "below their use"));
    assert_non_null(strstr(err, "b (uses 724M)"));
    assert_non_null(strstr(err, "--force"));
    assert_int_equal(c->d.n_res, 0);
    assert_int_equal(client_reserve(c, 2 * G, false, &waiter, NULL, 0), 0);
    assert_int_equal(c->d.n_res, 1);
    bd_res_finish_all(&c->d, "test");
    assert_int_equal(client_reserve(c, 2560 * M, true, &waiter, NULL, 0), 0);
    assert_int_equal(c->d.n_res, 1);
}

/* xl restore or a migration in: the same guest under a new domid starts
 * from the kernel overhead learned of it; another guest does not. */
static void test_restored_guest_keeps_overhead(void **state)
{
    struct ctx *c = *state;

    report_b(c);
    assert_int_equal(bd_domain_find(&c->d, 2)->track.overhead_kib, 124 * M);
    fake_dom(c->fh, 2)->exists = false;
    c->now_ms += 5000;
    assert_int_equal(bd_domains_scan(&c->d, c->now_ms), 0);
    assert_null(bd_domain_find(&c->d, 2));
    fake_add(c->fh, 5, "b", 1 * G, 4 * G);
    fake_add(c->fh, 6, "other", 1 * G, 4 * G);
    c->now_ms += 5000;
    assert_int_equal(bd_domains_scan(&c->d, c->now_ms), 0);
    assert_non_null(bd_domain_find(&c->d, 5));
    assert_int_equal(bd_domain_find(&c->d, 5)->track.overhead_kib, 124 * M);
    assert_int_equal(bd_domain_find(&c->d, 6)->track.overhead_kib, 0);
    assert_int_equal(c->d.n_gone, 0);
}

/* Two starts at once: both admitted when both fit, the one that does not
 * fit beside the first refused at once, the first untouched. */
static void test_two_reservations_at_once(void **state)
{
    struct ctx *c = *state;
    char err[BD_PROTO_ERR_MAX];
    int w1, w2, w3;

    report_b(c);
    assert_int_equal(client_reserve(c, 1 * G, false, &w1, NULL, 0), 0);
    /* 2G free + b's 300M above its use, less the 256M reserve: 1.5G more
     * does not fit beside the first 1G */
    assert_int_equal(client_reserve(c, 1536 * M, false, &w2, err,
                                    sizeof(err)),
                     -ENOSPC);
    assert_non_null(strstr(err, "below their use"));
    assert_int_equal(c->d.n_res, 1);
    assert_int_equal(client_reserve(c, 1 * G, false, &w3, NULL, 0), 0);
    assert_int_equal(c->d.n_res, 2);
    assert_int_equal(bd_reserved_kib(&c->d), 2 * G);
    bd_res_finish_all(&c->d, "test");
}

/* An admitted reservation without force holds the plan to what guests have
 * above their use: b's use grows after it was admitted, and b is not cut
 * under it; the reservation waits for the rest. */
static void test_reserve_waits_when_use_grows(void **state)
{
    struct ctx *c = *state;
    int waiter;

    report_b(c);
    assert_int_equal(client_reserve(c, 2 * G, false, &waiter, NULL, 0), 0);
    /* b now uses 800M + its 124M overhead: 76M above use, 1.82G safe */
    report_b_avail(c, 100 * M, 2);
    assert_int_equal(bd_reserved_effective_kib(&c->d), 0);
    assert_int_equal(bd_reserved_soft_kib(&c->d), 2 * G);
    assert_true(fake_get_num(c->fh, 2, "memory/target") >= 924 * M);
    assert_int_equal(c->d.n_res, 1);
    assert_false(c->d.res[0].granted);
    bd_res_finish_all(&c->d, "test");
}

static void test_set_below_use_needs_force(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(2);
    struct bd_ctl_call *call;
    size_t writes;

    report_b(c);
    writes = c->fh->n_writes;
    call = call_new(c);
    assert_int_equal(bd_handlers.set(call, &ref, 512 * M, false), -EPERM);
    assert_non_null(strstr(call->error, "below what b uses, 724M"));
    assert_non_null(strstr(call->error, "reported 600M"));
    assert_non_null(strstr(call->error, "--force"));
    assert_int_equal(c->fh->n_writes, writes);
    assert_int_equal(bd_domain_find(&c->d, 2)->pin_kib, 0);
    call_free(call);
    call = call_new(c);
    assert_int_equal(bd_handlers.set(call, &ref, 512 * M, true), 0);
    assert_int_equal(bd_domain_find(&c->d, 2)->pin_kib, 512 * M);
    call_free(call);
}

static void test_limits_max_below_use_needs_force(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_limits_args a;
    struct bd_ctl_call *call;

    report_b(c);
    memset(&a, 0, sizeof(a));
    a.domain = by_id(2);
    a.has_max = true;
    a.max_kib = 1 * M;
    call = call_new(c);
    assert_int_equal(bd_handlers.limits(call, &a), -EPERM);
    assert_non_null(strstr(call->error, "max 1.00M is below what b uses"));
    assert_false(bd_domain_find(&c->d, 2)->ovr.has_max);
    call_free(call);
    a.force = true;
    call = call_new(c);
    assert_int_equal(bd_handlers.limits(call, &a), 0);
    assert_int_equal(bd_domain_find(&c->d, 2)->limits.max_kib, 1 * M);
    call_free(call);
}

static void test_status_lists_warnings(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_call *call;

    /* a min above b's static-max (4G) */
    c->cfg->default_min.kib = 5 * G;
    bd_domains_apply_config(&c->d);
    c->now_ms += 1000;
    assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
    call = call_new(c);
    assert_int_equal(bd_handlers.status(call), 0);
    assert_non_null(strstr(reply_text(call), "\"warnings\":[\"domain a: "
                                             "min 5.00G is above its max"));
    call_free(call);
}

static void test_reload_refuses_reserve_above_host(void **state)
{
    struct ctx *c = *state;
    char path[] = "/tmp/test_handlers_confXXXXXX";
    int fd = mkstemp(path);
    struct bd_ctl_call *call;
    const char text[] = "[host]\nreserve = 64G\n";

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1),
                     (ssize_t)sizeof(text) - 1);
    close(fd);
    c->d.cfg_path = path;
    call = call_new(c);
    assert_int_equal(bd_handlers.reload(call), -EINVAL);
    assert_non_null(strstr(call->error, "reserve 64.00G is not below host "
                                        "memory 8.00G"));
    assert_ptr_equal(c->d.cfg, c->cfg); /* the old one stays */
    assert_int_equal(c->d.cnt.errors, 1);
    assert_non_null(strstr(c->d.last_error, "reload failed"));
    call_free(call);
    unlink(path);
}

static void test_set_not_saved(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call = call_new(c);

    /* a state file that cannot be written */
    c->cfg->state_path = strdup("/nonexistent-dir/balloond/state");
    assert_int_equal(bd_handlers.set(call, &ref, 1536 * M, false), 0);
    assert_non_null(strstr(reply_text(call), "\"not_saved\":\"not saved: "
                                             "cannot write state file"));
    assert_int_equal(c->d.cnt.errors, 1);
    call_free(call);
    call = call_new(c);
    assert_int_equal(bd_handlers.status(call), 0);
    assert_non_null(strstr(reply_text(call), "\"last_error\":\"cannot "
                                             "write state file"));
    call_free(call);
}

static void test_explain(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(2);
    struct bd_ctl_domref one = by_id(1);
    struct bd_ctl_call *call;

    report_b(c);
    call = call_new(c);
    assert_int_equal(bd_handlers.set(call, &one, 1536 * M, false), 0);
    call_free(call);
    call = call_new(c);
    assert_int_equal(bd_handlers.explain(call, &ref), 0);
    assert_non_null(strstr(reply_text(call),
                           "\"reported_used_kib\":614400,"
                           "\"overhead_kib\":126976,"
                           "\"overhead_source\":\"learned\","
                           "\"use_kib\":741376"));
    assert_non_null(strstr(reply_text(call), "\"history\":["));
    call_free(call);
    /* a's change is in its history, with the reason it was written with */
    call = call_new(c);
    assert_int_equal(bd_handlers.explain(call, &one), 0);
    assert_non_null(strstr(reply_text(call),
                           "\"from_kib\":2097152,\"to_kib\":1572864,"
                           "\"dry_run\":false,\"reason\":\"pinned at"));
    call_free(call);
    call = call_new(c);
    ref = by_id(77);
    assert_int_equal(bd_handlers.explain(call, &ref), -ENOENT);
    call_free(call);
}

static void test_dry_run_shows_would(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call = call_new(c);

    c->d.dry_run = true;
    assert_int_equal(bd_handlers.set(call, &ref, 1536 * M, false), 0);
    assert_int_equal(c->fh->n_writes, 0);
    assert_non_null(strstr(reply_text(call), "\"target_kib\":2097152,"));
    assert_non_null(strstr(reply_text(call), "\"would_kib\":1572864"));
    assert_non_null(strstr(reply_text(call), "dry-run, would set 1.50G"));
    call_free(call);
}

/* Right after a granted reservation, set may take its memory: the
 * reservation is used up, not counted against the pin. */
static void test_set_uses_held_reservation(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(2);
    struct bd_ctl_call *call = call_new(c);
    int waiter;

    /* 2G free, 256M reserve: reserve 1.5G, granted at the next cycle */
    assert_int_equal(bd_handlers.reserve(call, 1536 * M, 10000, false,
                                         (struct bd_ctl_pending *)&waiter),
                     0);
    call_free(call);
    c->now_ms += 1000;
    assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
    assert_true(c->res.ok);
    assert_int_equal(bd_res_granted_kib(&c->d), 1536 * M);
    /* b (1G) to 2.5G: 1.5G more, of which only 256M is free outside the
     * reservation (2G free - 256M reserve - 1.5G held): refused before */
    call = call_new(c);
    assert_int_equal(bd_handlers.set(call, &ref, 2560 * M, false), 0);
    assert_int_equal(bd_domain_find(&c->d, 2)->pin_kib, 2560 * M);
    /* the pin took the unreserved 256M and 1.25G of the reservation */
    assert_int_equal(bd_reserved_kib(&c->d), 256 * M);
    call_free(call);
}

/* set frees memory as reserve does: short now but freeable from a (2G,
 * min 128M, reporting 300M used), b is pinned at once and the reply says
 * how much still waits for memory; the plan then shrinks a and b grows as
 * memory frees.  Without a's report, nothing could be freed from it. */
static void test_set_frees_memory(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(2);
    struct bd_ctl_call *call = call_new(c);
    struct bd_host_event ev;
    bool kick = false;

    c->fh->writes_take_effect = true;
    assert_int_equal(bd_handlers.set(call, &ref, 4 * G, false), -ENOSPC);
    call_free(call);
    call = call_new(c);
    fake_report(c->fh, 1, 2 * G, 2 * G - 300 * M, 1);
    while (c->fh->h.ops->next_event(&c->fh->h, &ev) == 0)
        bd_domains_event(&c->d, &ev, c->now_ms, &kick);
    c->now_ms += 1000;
    assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
    assert_int_equal(bd_handlers.set(call, &ref, 4 * G, false), 0);
    assert_int_equal(bd_domain_find(&c->d, 2)->pin_kib, 4 * G);
    /* 3G more, 1.75G free above the reserve */
    assert_non_null(strstr(reply_text(call), "\"waiting_kib\":1310720"));
    call_free(call);
    for (int i = 0; i < 20; i++) {
        c->now_ms += 1000;
        assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
    }
    assert_int_equal(bd_domain_find(&c->d, 2)->target_kib, 4 * G);
    assert_true(bd_domain_find(&c->d, 1)->target_kib < 2 * G);
}

/* A planned write that did not happen says so, and why, before the
 * plan's reason: here a shrink right after start. */
static void test_reason_says_deferred(void **state)
{
    struct ctx *c = *state;
    struct bd_ctl_domref ref = by_id(1);
    struct bd_ctl_call *call;
    bool kick = false;
    uint64_t next = 0;

    /* a uses 200M of 2G, and has for longer than shrink-delay: the plan
     * shrinks it; but balloond (re)started a second ago */
    c->cfg->policy.share_spare = false; /* no spare memory to share */
    fake_report(c->fh, 1, 1900 * M, 1700 * M, 1);
    c->now_ms += c->cfg->policy.shrink_delay_ms + 30 * 60 * 1000;
    c->d.start_ms = c->now_ms - 1000;
    assert_int_equal(bd_daemon_drain(&c->d, c->now_ms, &kick, &next), 0);
    assert_int_equal(bd_cycle(&c->d, c->now_ms, NULL), 0);
    assert_int_equal(c->fh->n_writes, 0);
    call = call_new(c);
    assert_int_equal(bd_handlers.show(call, &ref, 1), 0);
    assert_non_null(strstr(reply_text(call), "\"reason\":\"deferred: no "
                                             "shrink in the first "
                                             "shrink-delay (shrink"));
    call_free(call);
}

static void test_history_ring_bounded(void **state)
{
    struct ctx *c = *state;
    struct bd_domain *dom = bd_domain_find(&c->d, 1);

    (void)state;
    for (uint64_t i = 0; i < 3 * BD_HISTORY_MAX; i++)
        bd_domain_history_add(dom, i, i, i + 1, false, "r");
    assert_int_equal(dom->n_hist, 3 * BD_HISTORY_MAX);
    /* the oldest kept is the one BD_HISTORY_MAX back */
    assert_int_equal(dom->hist[dom->n_hist % BD_HISTORY_MAX].from_kib,
                     2 * BD_HISTORY_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_domain_destroyed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auto_domain_destroyed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_limits_domain_destroyed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_writes_before_reply, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_admission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_available_unknown, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_overhead_estimated_or_configured,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_followed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restored_guest_keeps_overhead, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_two_reservations_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reserve_waits_when_use_grows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reserve_below_use_needs_force,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_finishes_through_hook,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_below_use_needs_force,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_limits_max_below_use_needs_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_lists_warnings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_reload_refuses_reserve_above_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_not_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_ring_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_shows_would, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_uses_held_reservation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_frees_memory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reason_says_deferred, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
