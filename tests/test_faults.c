/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_faults.c - faults injected at every call balloond makes to its host
 * and at every file it writes, walked SQLite-style (issue 24).
 *
 * Design: the real daemon (bd_simrun: bd_cycle() on the simulated host)
 * runs sim:basic with each host operation wrapped.  For each operation and
 * each error the real one returns, the walk fails its Nth call (once, and
 * for a 30 s burst from there) for N = 1, 2, ... until a run passes in
 * which the Nth call never came; the state and metrics file writes fail
 * the same way through a linker wrap of bd_write_file_atomic().  Every run
 * must keep the daemon's promises: no crash or model invariant broken, no
 * target outside a domain's limits, the reserve kept, the error logged a
 * bounded number of times (not once per cycle), and, the fault over,
 * balancing back: no guest short at the end that the fault-free run
 * serves.  FAULTS_LONG=1 walks every N; by default N steps up (1..24,
 * then by a quarter) so that make check stays quick.  Every operation of
 * struct bd_host_ops is faulted or named here as not worth it (fd, step,
 * xen_cmdline, destroy: no errors to speak of; unwatch: a failure is
 * ignored by design; read_keys: the simulated host has none, the Xen
 * one's transaction retry is its own): a new operation fails the test
 * until it gets a case.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#include "daemon/base/log.h"
#include "daemon/domains.h"
#include "sim/host_sim.h"
#include "sim/sim.h"
#include "sim/simrun.h"

#define MIB UINT64_C(1024)
#define SEC UINT64_C(1000)
#define RUN_MS (240 * SEC)     /* each run, virtual time */
#define BURST_MS (30 * SEC)    /* a burst fault lasts this long */
#define SETTLE_MS (90 * SEC)   /* to recover in, after the last fault */
#define LOG_MAX 12             /* warnings and errors a fault may cause */
#define BREAK_MS (50 * SEC)    /* the watch connection breaks, each run */

enum op { OP_LIST, OP_PHYS, OP_NAME, OP_READ, OP_SET, OP_WATCH, OP_EVENT,
          OP_RECONNECT, OP_FILE, OP_COUNT };
static const char *const op_name[OP_COUNT] = {
    "list_domains", "physinfo", "domain_name", "read_key", "set_target",
    "watch", "next_event", "reconnect", "file write"};

/* The errors each call really returns (libxl's ERROR_* and xenstore's
 * errno become these in daemon/host/xen.c). */
static const struct {
    enum op op;
    int err;
} cases[] = {
    {OP_LIST, -EIO},    {OP_LIST, -ENOMEM},  {OP_PHYS, -EIO},
    {OP_NAME, -ENOENT}, {OP_NAME, -EIO},     {OP_READ, -EIO},
    {OP_READ, -EACCES}, {OP_READ, -ENOENT},  {OP_READ, -EAGAIN},
    {OP_SET, -EIO},     {OP_SET, -EINVAL},   {OP_SET, -ENOENT},
    {OP_WATCH, -EIO},   {OP_WATCH, -ENOSPC}, {OP_EVENT, -EIO},
    {OP_EVENT, -ECONNRESET}, {OP_EVENT, -EINVAL}, /* a closed connection */
    {OP_RECONNECT, -ECONNREFUSED},
    {OP_RECONNECT, -ENOENT},
    {OP_FILE, -ENOSPC}, {OP_FILE, -EROFS},   {OP_FILE, -EIO},
};

static struct {
    enum op op;
    int err;
    uint64_t nth;        /* fail from this call (1-based); 0 = never */
    uint64_t until_ms;   /* burst: keep failing until then; 0 = once */
    bool burst;
    uint64_t calls[OP_COUNT];
    uint64_t fired, last_fault_ms;
    const uint64_t *now; /* virtual time */
    unsigned logged;     /* warnings and errors */
} F;

static const struct bd_host_ops *real_ops;
static struct bd_host_ops fault_ops;

static int fault(enum op op)
{
    uint64_t c = ++F.calls[op];

    if (op != F.op || !F.nth || c < F.nth)
        return 0;
    if (c == F.nth && F.burst)
        F.until_ms = *F.now + BURST_MS;
    if (c == F.nth || (F.burst && *F.now < F.until_ms)) {
        F.fired++;
        F.last_fault_ms = *F.now;
        return F.err;
    }
    return 0;
}

static int w_list(struct bd_host *h, struct bd_host_dom **out, size_t *n)
{
    int rc = fault(OP_LIST);
    return rc ? rc : real_ops->list_domains(h, out, n);
}
static int w_phys(struct bd_host *h, struct bd_host_phys *out)
{
    int rc = fault(OP_PHYS);
    return rc ? rc : real_ops->physinfo(h, out);
}
static int w_name(struct bd_host *h, uint32_t domid, char *buf, size_t len)
{
    int rc = fault(OP_NAME);
    return rc ? rc : real_ops->domain_name(h, domid, buf, len);
}
static int w_read(struct bd_host *h, uint32_t domid, const char *rel,
                  char *buf, size_t len, size_t *vlen)
{
    int rc = fault(OP_READ);
    return rc ? rc : real_ops->read_key(h, domid, rel, buf, len, vlen);
}
static int w_set(struct bd_host *h, uint32_t domid, uint64_t kib)
{
    int rc = fault(OP_SET);
    return rc ? rc : real_ops->set_target(h, domid, kib);
}
static int w_watch(struct bd_host *h, const char *path, const char *token)
{
    int rc = fault(OP_WATCH);
    return rc ? rc : real_ops->watch(h, path, token);
}
static int w_event(struct bd_host *h, struct bd_host_event *ev)
{
    int rc = fault(OP_EVENT);
    return rc ? rc : real_ops->next_event(h, ev);
}

static int w_reconnect(struct bd_host *h)
{
    int rc = fault(OP_RECONNECT);
    return rc ? rc : real_ops->reconnect(h);
}

int __real_bd_write_file_atomic(const char *path, const void *buf, size_t len,
                                mode_t mode, bool durable, bool mkdir_parent);
int __wrap_bd_write_file_atomic(const char *path, const void *buf, size_t len,
                                mode_t mode, bool durable, bool mkdir_parent);
int __wrap_bd_write_file_atomic(const char *path, const void *buf, size_t len,
                                mode_t mode, bool durable, bool mkdir_parent)
{
    int rc = fault(OP_FILE);
    return rc ? rc
              : __real_bd_write_file_atomic(path, buf, len, mode, durable,
                                            mkdir_parent);
}

static int count_log(int prio, const struct bd_log_about *about,
                     const char *line)
{
    (void)about;
    (void)line;
    if (prio <= 4)
        F.logged++;
    return 0;
}

/* What a run ends with, per guest: whether it holds its demand. */
struct outcome {
    bool served[8];
    uint64_t fired;
    uint64_t calls[OP_COUNT];
};

static void check_now(struct bd_simrun *r)
{
    struct bd_sim_physinfo pi;

    for (size_t i = 0; i < r->d.n_doms; i++) {
        const struct bd_domain *dom = r->d.doms[i];
        struct bd_range range = bd_domain_range(dom);
        struct bd_sim_dominfo info;
        if (bd_sim_dominfo(r->sim, dom->domid, &info) < 0 || !dom->has_dec ||
            dom->limits.mode != BD_MODE_AUTO)
            continue;
        if (info.target_kib < range.lo_kib || info.target_kib > range.hi_kib)
            fail_msg("%s: fault %s %d at call %" PRIu64 ": %s target %" PRIu64
                     "K outside [%" PRIu64 ", %" PRIu64 "]",
                     op_name[F.op], op_name[F.op], F.err, F.nth, info.name,
                     info.target_kib, range.lo_kib, range.hi_kib);
    }
    bd_sim_physinfo(r->sim, &pi);
    /* the reserve (256M) holds once the first plan ran, within a balloon
     * step of slack */
    if (r->now_ms > 10 * SEC && pi.free_kib + 64 * MIB < 256 * MIB)
        fail_msg("fault %s %d at call %" PRIu64 ": host free %" PRIu64
                 "K below the reserve",
                 op_name[F.op], F.err, F.nth, pi.free_kib);
}

static void run_once(struct outcome *o, const char *state_dir)
{
    struct bd_sim *sim = NULL;
    struct bd_simrun r;
    char path[256];
    int rc;

    memset(o, 0, sizeof(*o));
    memset(F.calls, 0, sizeof(F.calls));
    F.fired = F.until_ms = F.last_fault_ms = 0;
    F.logged = 0;
    assert_int_equal(bd_sim_scenario_new("basic", &sim), 0);
    assert_int_equal(bd_simrun_init(&r, sim, "[host]\ninterval = 5s\n"), 0);
    F.now = &r.now_ms;
    real_ops = r.host->ops;
    fault_ops = *real_ops;
    fault_ops.list_domains = w_list;
    fault_ops.physinfo = w_phys;
    fault_ops.domain_name = w_name;
    fault_ops.read_key = w_read;
    fault_ops.set_target = w_set;
    fault_ops.watch = w_watch;
    fault_ops.next_event = w_event;
    fault_ops.reconnect = w_reconnect;
    r.host->ops = &fault_ops;
    /* the files the cycle writes: a state file (made dirty now and then)
     * and the metrics file */
    snprintf(path, sizeof(path), "%s/state", state_dir);
    r.cfg->state_path = strdup(path);
    snprintf(path, sizeof(path), "%s/metrics.prom", state_dir);
    r.cfg->metrics_path = strdup(path);
    bd_log_sink = count_log;
    for (uint64_t t = 0; t < RUN_MS; t += SEC) {
        if (t % (20 * SEC) == 0)
            r.d.state_dirty = true;
        if (t == BREAK_MS) /* xenstored restarted: every run has one */
            bd_host_sim_break(r.host);
        rc = bd_simrun_advance(&r, SEC);
        if (rc)
            fail_msg("fault %s %d at call %" PRIu64 ": sim: %s",
                     op_name[F.op], F.err, F.nth, bd_sim_error(r.sim));
        check_now(&r);
    }
    bd_log_sink = NULL;
    for (uint32_t id = 1; id <= 3; id++) {
        struct bd_sim_dominfo info;
        if (bd_sim_dominfo(r.sim, id, &info) == 0)
            o->served[id] = info.current_kib >= info.demand_kib;
    }
    o->fired = F.fired;
    memcpy(o->calls, F.calls, sizeof(o->calls));
    if (F.fired && F.logged > LOG_MAX)
        fail_msg("fault %s %d at call %" PRIu64 " (%s): %u warnings and "
                 "errors logged", op_name[F.op], F.err, F.nth,
                 F.burst ? "30 s burst" : "once", F.logged);
    if (F.fired && F.last_fault_ms + SETTLE_MS > RUN_MS)
        o->fired = 0; /* too late to ask for recovery: not judged */
    r.host->ops = real_ops;
    bd_simrun_dispose(&r);
}

static uint64_t next_nth(uint64_t n)
{
    if (getenv("FAULTS_LONG") || n < 24)
        return n + 1;
    return n + n / 4;
}

/* Every case, every N: the promises hold, and the run recovers. */
static void test_fault_walk(void **state)
{
    char dir[] = "/dev/shm/bd-faults-XXXXXX"; /* fsync-free when it can */
    struct outcome ref, o;
    unsigned runs = 0;
    (void)state;

    /* name + 14 operations: a new one needs a fault case (above) */
    assert_int_equal(sizeof(struct bd_host_ops), 15 * sizeof(void *));
    if (!mkdtemp(dir)) {
        strcpy(dir, "/tmp/bd-faults-XXXXXX");
        assert_non_null(mkdtemp(dir));
    }
    F.nth = 0;
    run_once(&ref, dir);
    for (int k = 0; k < OP_COUNT; k++)
        if (!ref.calls[k])
            fail_msg("the daemon never called %s in a fault-free run: the "
                     "walk cannot cover it", op_name[k]);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (int burst = 0; burst < 2; burst++) {
            F.op = cases[c].op;
            F.err = cases[c].err;
            F.burst = burst;
            for (uint64_t n = 1;; n = next_nth(n)) {
                F.nth = n;
                run_once(&o, dir);
                runs++;
                if (!F.calls[F.op] || F.calls[F.op] < n)
                    break; /* the Nth call never came: walked */
                for (uint32_t id = 1; o.fired && id <= 3; id++)
                    if (ref.served[id] && !o.served[id])
                        fail_msg("fault %s %d at call %" PRIu64 " (%s): vm %"
                                 PRIu32 " short at the end, served without "
                                 "the fault", op_name[F.op], F.err, n,
                                 burst ? "burst" : "once", id);
            }
        }
    }
    F.nth = 0;
    fprintf(stderr, "fault walk: %u runs, %zu cases x once/burst\n", runs,
            sizeof(cases) / sizeof(cases[0]));
    {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
    }
}

static unsigned reconnected;
static uint64_t dom_events;

static int count_reconnect(int prio, const struct bd_log_about *about,
                           const char *line)
{
    (void)prio;
    (void)about;
    reconnected += strstr(line, "watch connection open again") != NULL;
    return 0;
}

static int count_events(struct bd_host *h, struct bd_host_event *ev)
{
    int rc = real_ops->next_event(h, ev);

    dom_events += rc == 0 && strcmp(ev->token, "dom") == 0;
    return rc;
}

/* xenstored restarted: the watches die with the connection; balloond
 * connects again and sets every watch again (the guests' key changes
 * come as events again), with one error and one notice. */
static void test_watch_connection_lost(void **state)
{
    struct bd_sim *sim = NULL;
    struct bd_simrun r;
    uint64_t errors0;

    (void)state;
    assert_int_equal(bd_sim_scenario_new("basic", &sim), 0);
    assert_int_equal(bd_simrun_init(&r, sim, "[host]\ninterval = 5s\n"), 0);
    real_ops = r.host->ops;
    fault_ops = *real_ops;
    fault_ops.next_event = count_events;
    r.host->ops = &fault_ops;
    assert_int_equal(bd_simrun_advance(&r, 30 * SEC), 0);
    errors0 = r.d.cnt.errors;
    reconnected = 0;
    bd_log_level = 5;
    bd_log_sink = count_reconnect;
    bd_host_sim_break(r.host);
    assert_int_equal(bd_simrun_advance(&r, 10 * SEC), 0);
    assert_false(r.d.watch_lost);
    dom_events = 0;
    assert_int_equal(bd_simrun_advance(&r, 120 * SEC), 0);
    bd_log_sink = NULL;
    bd_log_level = 4;
    assert_int_equal(reconnected, 1);
    assert_int_equal(r.d.cnt.errors, errors0 + 1);
    /* the guests' reports and targets change in two minutes: watched
     * again, they come as events */
    if (dom_events == 0)
        fail_msg("no domain key event in the 2 minutes after the reconnect: "
                 "the watches were not set again");
    r.host->ops = real_ops;
    bd_simrun_dispose(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_connection_lost),
        cmocka_unit_test(test_fault_walk),
    };
    bd_log_level = 4;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
