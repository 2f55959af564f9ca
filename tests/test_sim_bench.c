/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sim_bench.c - the benchmark's pieces on small hand-made inputs (the
 * real trace is for `make bench`).
 *
 * Checks that a gzip or plain grid trace and its meta file load and that
 * bad ones are refused; that the simulated guests' reports in each of the
 * three formats, read through the simulated host and parsed by the
 * daemon's own parser, say what the model holds (use capped by MemTotal,
 * the rest as swap), written when their reporter would write them, with
 * the watch events the daemon needs; and that every policy of the v2
 * bench computes what bench/MODEL.md says: static's shortfall and
 * oracle-min's bound by hand, oracle-min below every policy, no invariant
 * violations, and the real daemon (bd_cycle) far better than static.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "bench/bench.h"
#include "common/xskeys.h"
#include "daemon/cycle.h"
#include "daemon/host/host.h"
#include "daemon/policy/guest_stats.h"
#include "sim/host_sim.h"
#include "sim/sim.h"

#define MIB UINT64_C(1024)
#define GIB (UINT64_C(1024) * 1024)

static char dir[64];

static void write_file(const char *name, const char *text, bool gz)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzputs(f, text), (int)strlen(text));
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
    }
}

static const char *path_of(const char *name)
{
    static char path[4][128];
    static int k;

    k = (k + 1) % 4;
    snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
    return path[k];
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_sim_bench.XXXXXX");
    assert_non_null(mkdtemp(dir));
    write_file("meta.csv",
               "vm,source_file,mem_provisioned_kb\n"
               "7,a.csv,4194304\n"
               "9,b.csv,2097152\n",
               false);
    /* two VMs, 300 s steps: vm7 bursts to 3G for one step, vm9 steady */
    write_file("trace.csv.gz",
               "timestamp_s,vm7_mem_usage_kb,vm9_mem_usage_kb\n"
               "1000,524288,1048576\n"
               "1300,3145728,1048576\n"
               "1600,524288,1048576\n"
               "1900,524288,1048576\n",
               true);
    /* the same two VMs steady for 4 h: VM starts at 1 h and 3 h */
    {
        char text[8192];
        size_t at = (size_t)snprintf(text, sizeof(text),
                                     "timestamp_s,vm7_mem_usage_kb,"
                                     "vm9_mem_usage_kb\n");
        for (int k = 0; k <= 48; k++)
            at += (size_t)snprintf(text + at, sizeof(text) - at,
                                   "%d,524288,1048576\n", 1000 + 300 * k);
        write_file("long.csv.gz", text, true);
    }
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_load(void **state)
{
    struct bd_trace t;
    (void)state;

    assert_int_equal(
        bd_trace_load(path_of("trace.csv.gz"), path_of("meta.csv"), &t), 0);
    assert_int_equal(t.n_vm, 2);
    assert_int_equal(t.n_samples, 4);
    assert_int_equal(t.step_s, 300);
    assert_int_equal(t.vm_id[0], 7);
    assert_int_equal(t.max_kib[1], 2 * GIB);
    assert_int_equal(t.use_kib[1 * 2 + 0], 3 * GIB);
    bd_trace_dispose(&t);
}

static void test_bad_files(void **state)
{
    struct bd_trace t;
    (void)state;

    write_file("nometa.csv", "timestamp_s,vm8_mem_usage_kb\n1,2\n2,3\n", false);
    assert_int_equal(
        bd_trace_load(path_of("nometa.csv"), path_of("meta.csv"), &t), -EINVAL);
    write_file("junk.csv", "timestamp_s,vm7_mem_usage_kb\n1,2\n2,x3\n", false);
    assert_int_equal(
        bd_trace_load(path_of("junk.csv"), path_of("meta.csv"), &t), -EINVAL);
    write_file("short.csv", "timestamp_s,vm7_mem_usage_kb\n1,2\n", false);
    assert_int_equal(
        bd_trace_load(path_of("short.csv"), path_of("meta.csv"), &t), -EINVAL);
    write_file("hdr.csv", "time,vm7\n1,2\n2,3\n", false);
    assert_int_equal(bd_trace_load(path_of("hdr.csv"), path_of("meta.csv"), &t),
                     -EINVAL);
    assert_int_equal(
        bd_trace_load(path_of("none.csv"), path_of("meta.csv"), &t), -ENOENT);
}

/* ---- reporters ----------------------------------------------------------- */

/* One guest on a host wrapped as the daemon sees it. */
static struct bd_host *one_guest(enum bd_sim_reporter rep, uint64_t demand_kib,
                                 uint64_t boot_kib)
{
    struct bd_sim *sim;
    struct bd_sim_guest_cfg c;
    struct bd_host *h;

    assert_int_equal(bd_sim_new(16 * GIB, 1, &sim), 0);
    bd_sim_guest_cfg_init(&c);
    c.domid = 1;
    c.name = "vm";
    c.static_max_kib = 4 * GIB;
    c.boot_kib = boot_kib;
    c.overhead_kib = bd_sim_linux_overhead_kib(4 * GIB);
    c.swap_kib = 4 * GIB;
    c.reporter = rep;
    c.demand.base_kib = demand_kib;
    assert_int_equal(bd_sim_add(sim, &c), 1);
    assert_int_equal(bd_host_sim_wrap(sim, 0, &h), 0);
    return h;
}

/* Read every report key the daemon reads and parse them with its parser. */
static int read_report(struct bd_host *h, struct bd_guest_stats *st)
{
    static char vals[BD_SK_N][BD_STAT_MEMINFO_MAX + 2];
    struct bd_stat_raw raw;
    const char *why;
    uint64_t seq;
    int bad;

    memset(&raw, 0, sizeof(raw));
    for (int k = 0; k < BD_SK_N; k++) {
        size_t vlen;
        if (h->ops->read_key(h, 1, bd_stat_key_path[k], vals[k],
                             sizeof(vals[k]), &vlen) == 0) {
            raw.val[k] = vals[k];
            raw.len[k] = vlen;
        }
    }
    return bd_guest_stats_parse(&raw, 4 * GIB, 0, st, &seq, &why, &bad);
}

static uint64_t reports(struct bd_host *h)
{
    struct bd_sim_stats s;

    assert_int_equal(bd_sim_dom_stats(bd_host_sim_model(h), 1, &s), 0);
    return s.reports;
}

static void test_report_agent(void **state)
{
    const uint64_t oh = bd_sim_linux_overhead_kib(4 * GIB);
    const uint64_t total = 2 * GIB - oh;
    struct bd_host *h = one_guest(BD_SIM_REP_AGENT, 1 * GIB, 2 * GIB);
    struct bd_sim *sim = bd_host_sim_model(h);
    struct bd_host_event ev;
    struct bd_guest_stats st;
    (void)state;

    assert_int_equal(read_report(h, &st), -ENOENT); /* nothing written yet */
    assert_int_equal(h->ops->watch(h, "/local/domain/1/" BD_XS_AGENT_SEQ,
                                   "dom"),
                     0);
    assert_int_equal(h->ops->next_event(h, &ev), 0); /* the watch's own */
    assert_int_equal(h->ops->next_event(h, &ev), -EAGAIN);
    assert_int_equal(h->ops->step(h, 1000), 0);
    assert_int_equal(h->ops->next_event(h, &ev), 0);
    assert_string_equal(ev.path, "/local/domain/1/" BD_XS_AGENT_SEQ);
    assert_string_equal(ev.token, "dom");
    assert_int_equal(read_report(h, &st), 0);
    assert_int_equal(st.total_kib, total);
    assert_int_equal(st.used_kib, 1 * GIB);
    assert_int_equal(st.swap_used_kib, 0);
    /* steady: the agent's 60 s heartbeat only, no event in between */
    for (uint64_t t = 2000; t <= 60000; t += 1000)
        assert_int_equal(h->ops->step(h, t), 0);
    assert_int_equal(reports(h), 1);
    assert_int_equal(h->ops->next_event(h, &ev), -EAGAIN);
    assert_int_equal(h->ops->step(h, 61000), 0);
    assert_int_equal(reports(h), 2);
    assert_int_equal(h->ops->next_event(h, &ev), 0);
    /* demand above MemTotal: use is capped, the rest is swap, pressure,
     * written at once */
    assert_int_equal(bd_sim_set_target(sim, 1, 1 * GIB), 0);
    for (uint64_t t = 62000; t <= 70000; t += 1000)
        assert_int_equal(h->ops->step(h, t), 0);
    assert_int_equal(read_report(h, &st), 0);
    assert_int_equal(st.total_kib, 1 * GIB - oh);
    assert_int_equal(st.used_kib, 1 * GIB - oh);
    assert_int_equal(st.swap_used_kib, oh);
    assert_true(st.has_rates && st.swapin_per_s > 0);
    h->ops->destroy(h);
}

static void test_report_xenserver(void **state)
{
    const uint64_t oh = bd_sim_linux_overhead_kib(4 * GIB);
    struct bd_host *h = one_guest(BD_SIM_REP_XENSERVER, 3 * GIB, 2 * GIB);
    struct bd_sim *sim = bd_host_sim_model(h);
    struct bd_guest_stats st;
    char buf[32];
    size_t vlen;
    (void)state;

    assert_int_equal(h->ops->step(h, 1000), 0);
    /* total first, free one step later: no usable report in between */
    assert_int_equal(h->ops->read_key(h, 1, BD_XS_XE_MEMINFO_TOTAL, buf,
                                      sizeof(buf), &vlen),
                     0);
    assert_int_equal(read_report(h, &st), -ENOENT);
    assert_int_equal(h->ops->step(h, 2000), 0);
    assert_int_equal(read_report(h, &st), 0);
    assert_int_equal(st.total_kib, 2 * GIB - oh);
    assert_int_equal(st.used_kib, 2 * GIB - oh); /* all of it, no swap key */
    /* samples every 120 s, writes only what changed */
    assert_int_equal(bd_sim_set_target(sim, 1, 3 * GIB), 0);
    for (uint64_t t = 3000; t < 120000; t += 1000)
        assert_int_equal(h->ops->step(h, t), 0);
    assert_int_equal(reports(h), 1);
    assert_int_equal(h->ops->step(h, 121000), 0);
    assert_int_equal(reports(h), 2);
    h->ops->destroy(h);
}

static void test_report_qubes(void **state)
{
    struct bd_host *h = one_guest(BD_SIM_REP_QUBES, 3 * GIB, 2 * GIB);
    struct bd_sim *sim = bd_host_sim_model(h);
    struct bd_host_event ev;
    struct bd_guest_stats st;
    (void)state;

    assert_int_equal(h->ops->watch(h, "/local/domain/1/" BD_XS_MEMORY, "m"), 0);
    assert_int_equal(h->ops->next_event(h, &ev), 0);
    assert_int_equal(h->ops->step(h, 1000), 0);
    assert_int_equal(h->ops->next_event(h, &ev), 0);
    assert_string_equal(ev.path, "/local/domain/1/" BD_XS_QUBES_MEMINFO);
    /* used = in RAM + swapped: the whole demand */
    assert_int_equal(read_report(h, &st), 0);
    assert_int_equal(st.used_kib, 3 * GIB);
    (void)sim;
    h->ops->destroy(h);

    /* a guest squeezed so that 20000 KiB of its demand goes to swap: its
     * use (RAM + swap) did not move, nothing is written; then its demand
     * moves by 20000 KiB (no write) and by 40000 KiB (written) */
    h = one_guest(BD_SIM_REP_QUBES, 1 * GIB, 2 * GIB);
    sim = bd_host_sim_model(h);
    assert_int_equal(h->ops->step(h, 1000), 0);
    assert_int_equal(reports(h), 1);
    assert_int_equal(
        bd_sim_set_target(sim, 1, 1 * GIB + bd_sim_linux_overhead_kib(4 * GIB) - 20000),
        0);
    for (uint64_t t = 2000; t <= 30000; t += 1000)
        assert_int_equal(h->ops->step(h, t), 0);
    assert_int_equal(reports(h), 1);
    assert_int_equal(read_report(h, &st), 0);
    assert_int_equal(st.used_kib, 1 * GIB);
    h->ops->destroy(h);
    for (int k = 0; k < 2; k++) {
        uint64_t move = k ? 40000 : 20000;
        struct bd_sim_guest_cfg c;
        assert_int_equal(bd_sim_new(16 * GIB, 1, &sim), 0);
        bd_sim_guest_cfg_init(&c);
        c.domid = 1;
        c.name = "vm";
        c.static_max_kib = 4 * GIB;
        c.boot_kib = 2 * GIB;
        c.reporter = BD_SIM_REP_QUBES;
        c.demand.pattern = BD_SIM_RAMP;
        c.demand.base_kib = 1 * GIB;
        c.demand.peak_kib = 1 * GIB + move;
        c.demand.start_ms = 10000;
        c.demand.ramp_ms = 1000;
        assert_int_equal(bd_sim_add(sim, &c), 1);
        assert_int_equal(bd_host_sim_wrap(sim, 0, &h), 0);
        for (uint64_t t = 1000; t <= 20000; t += 1000)
            assert_int_equal(h->ops->step(h, t), 0);
        assert_int_equal(reports(h), k ? 2 : 1);
        assert_int_equal(read_report(h, &st), 0);
        assert_int_equal(st.used_kib, k ? 1 * GIB + move : 1 * GIB);
        h->ops->destroy(h);
    }
}

/* A guest's balloon never takes what its kernel holds: below overhead +
 * 16 MiB its MemTotal would be nothing (and its report invalid). */
static void test_kernel_floor(void **state)
{
    const uint64_t oh = bd_sim_linux_overhead_kib(4 * GIB);
    struct bd_host *h = one_guest(BD_SIM_REP_AGENT, 100 * MIB, 2 * GIB);
    struct bd_sim *sim = bd_host_sim_model(h);
    struct bd_sim_dominfo di;
    struct bd_guest_stats st;
    (void)state;

    assert_int_equal(bd_sim_set_target(sim, 1, 64 * MIB), 0);
    for (uint64_t t = 1000; t <= 30000; t += 1000)
        assert_int_equal(h->ops->step(h, t), 0);
    assert_int_equal(bd_sim_dominfo(sim, 1, &di), 0);
    assert_int_equal(di.current_kib, oh + 16 * MIB);
    assert_int_equal(read_report(h, &st), 0);
    assert_int_equal(st.total_kib, 16 * MIB);
    h->ops->destroy(h);
}

/* ---- the v2 bench ----------------------------------------------------- */

static void test_model(void **state)
{
    const double step_h = 300 / 3600.0;
    const uint64_t oh7 = bd_sim_linux_overhead_kib(4 * GIB);
    const uint64_t oh9 = bd_sim_linux_overhead_kib(2 * GIB);
    struct bd_trace t;
    struct bd_bench_result r[BP_COUNT];
    double want;
    (void)state;

    assert_int_equal(
        bd_trace_load(path_of("trace.csv.gz"), path_of("meta.csv"), &t), 0);
    for (int p = 0; p < BP_COUNT; p++) {
        assert_int_equal(
            bd_bench_run(&t, (enum bd_bench_policy)p, 3 * GIB, 0, &r[p], NULL),
            0);
        assert_int_equal(r[p].violations, 0);
        /* every GiB-h of a run's shortfall has one cause */
        double sum = 0;
        for (int k = 0; k < BD_BENCH_CAUSES; k++)
            sum += r[p].cause_gib_h[k];
        if (p != BP_ORACLE_MIN)
            assert_true(sum > r[p].shortfall_gib_h - 1e-9 &&
                        sum < r[p].shortfall_gib_h + 1e-9);
    }
    /* static never moves a target: its shortfall is never "capped" or
     * "moving" */
    assert_true(r[BP_STATIC].cause_gib_h[3] == 0);
    assert_true(r[BP_STATIC].cause_gib_h[4] == 0);
    /* C = 3G: static gives 1.5G each; vm7's 3G step is 1.5G + its kernel's
     * overhead short for 300 s; nothing else is short */
    want = (double)(1536 * MIB + oh7) / GIB * step_h;
    assert_true(r[BP_STATIC].shortfall_gib_h > want - 1e-9 &&
                r[BP_STATIC].shortfall_gib_h < want + 1e-9);
    assert_true(r[BP_STATIC].churn_per_vm_h == 0);
    /* oracle-min: 3G + 1G of demand plus both overheads in 3G */
    want = (double)(1 * GIB + oh7 + oh9) / GIB * step_h;
    assert_true(r[BP_ORACLE_MIN].shortfall_gib_h > want - 1e-9 &&
                r[BP_ORACLE_MIN].shortfall_gib_h < want + 1e-9);
    for (int p = 0; p < BP_COUNT; p++)
        assert_true(r[p].shortfall_gib_h + 1e-9 >=
                    r[BP_ORACLE_MIN].shortfall_gib_h);
    /* the daemon moves memory to the burst: far better than static */
    assert_true(r[BP_BALLOOND].shortfall_gib_h <
                r[BP_STATIC].shortfall_gib_h * 0.9);
    assert_true(r[BP_BALLOOND].churn_per_vm_h > 0);
    assert_true(r[BP_QMEMMAN].churn_per_vm_h > 0);
    assert_true(r[BP_ORACLE_MIN].low_headroom_pct == -1);
    for (int p = 0; p < BP_ORACLE_MIN; p++)
        assert_true(r[p].low_headroom_pct >= 0 && r[p].low_headroom_pct < 100);
    /* plenty of memory: nobody is short under balloond, nor left below
     * its headroom */
    assert_int_equal(bd_bench_run(&t, BP_BALLOOND, 8 * GIB, 0, &r[0], NULL), 0);
    assert_true(r[0].shortfall_gib_h < 0.01);
    assert_true(r[0].low_headroom_pct < 0.01);
    bd_trace_dispose(&t);
}

/* VM starts in the trace run: at 6G static leaves 1G free, enough for
 * the first start (512M), not the second (1G), which times out; balloond
 * reclaims what the guests hold above their use and admits both, fast;
 * so do squeezed and qmemman here, where nobody is short. */
static void test_starts(void **state)
{
    struct bd_trace t;
    struct bd_bench_result r[BP_COUNT];
    (void)state;

    assert_int_equal(
        bd_trace_load(path_of("long.csv.gz"), path_of("meta.csv"), &t), 0);
    for (int p = 0; p < BP_ORACLE_MIN; p++) {
        assert_int_equal(
            bd_bench_run(&t, (enum bd_bench_policy)p, 6 * GIB, 0, &r[p], NULL),
            0);
        assert_int_equal(r[p].starts, 2);
        assert_int_equal(r[p].violations, 0);
        /* 6 GiB holds both starts beside the trace's needs */
        assert_int_equal(r[p].starts_fit, 2);
        assert_int_equal(r[p].starts_fit_refused, 0);
    }
    assert_int_equal(r[BP_STATIC].starts_admitted, 1);
    assert_int_equal(r[BP_STATIC].starts_refused, 0);
    assert_int_equal(r[BP_BALLOOND].starts_admitted, 2);
    assert_true(r[BP_BALLOOND].start_p99_ms < BD_BENCH_START_WAIT_MS);
    assert_int_equal(r[BP_SQUEEZED].starts_admitted, 2);
    assert_int_equal(r[BP_QMEMMAN].starts_admitted, 2);
    /* nobody is short for it */
    assert_true(r[BP_BALLOOND].shortfall_gib_h < 0.01);
    assert_int_equal(r[BP_BALLOOND].starts_fit_admitted, 2);
    assert_int_equal(r[BP_STATIC].starts_fit_admitted, 1);
    /* on a host too small for the trace's needs the bound fits none */
    assert_int_equal(
        bd_bench_run(&t, BP_BALLOOND, 1 * GIB, 0, &r[0], NULL), 0);
    assert_int_equal(r[0].starts_fit, 0);
    bd_trace_dispose(&t);
}

/* --no-starts: the same run without the VM starts, like for like with
 * oracle-min; what the admissions cost the running VMs is the difference
 * (squeezed admits every start by squeezing them). */
static void test_no_starts(void **state)
{
    struct bd_trace t;
    struct bd_bench_result with, without;
    (void)state;

    assert_int_equal(
        bd_trace_load(path_of("long.csv.gz"), path_of("meta.csv"), &t), 0);
    assert_int_equal(bd_bench_run(&t, BP_SQUEEZED, 3 * GIB, 0, &with, NULL), 0);
    t.no_starts = true;
    assert_int_equal(
        bd_bench_run(&t, BP_SQUEEZED, 3 * GIB, 0, &without, NULL), 0);
    assert_int_equal(with.starts, 2);
    assert_int_equal(with.starts_admitted, 2);
    assert_int_equal(without.starts, 0);
    assert_int_equal(without.starts_admitted, 0);
    assert_int_equal(without.starts_fit, 0);
    assert_true(with.shortfall_gib_h > without.shortfall_gib_h + 0.01);
    assert_int_equal(without.violations, 0);
    bd_trace_dispose(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_report_agent),
        cmocka_unit_test(test_report_xenserver),
        cmocka_unit_test(test_report_qubes),
        cmocka_unit_test(test_kernel_floor),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_starts),
        cmocka_unit_test(test_no_starts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
