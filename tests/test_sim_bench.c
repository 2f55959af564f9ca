/*
 * test_sim_bench.c - the benchmark's trace loader and host model on small
 * hand-made traces (the real trace is for `make bench`).
 *
 * Checks that a gzip or plain grid trace and its meta file load, that bad
 * ones are refused with an error, and that the model computes what
 * bench-model.md says: static shortfall by hand, the oracle below every
 * policy, no invariant violations, churn counted only for real changes.
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

static void test_model(void **state)
{
    struct bd_trace t;
    struct bd_bench_result r[BP_COUNT];
    (void)state;

    assert_int_equal(
        bd_trace_load(path_of("trace.csv.gz"), path_of("meta.csv"), &t), 0);
    /* C = 3G: static gives 1.5G each; vm7's 3G step is 1.5G short for
     * 300 s; nothing else is short */
    for (int p = 0; p < BP_COUNT; p++) {
        assert_int_equal(
            bd_bench_run(&t, (enum bd_bench_policy)p, 3 * GIB, &r[p], NULL), 0);
        assert_int_equal(r[p].violations, 0);
    }
    assert_true(r[BP_STATIC].shortfall_gib_h > 1.5 * 300 / 3600.0 - 1e-9 &&
                r[BP_STATIC].shortfall_gib_h < 1.5 * 300 / 3600.0 + 1e-9);
    assert_true(r[BP_STATIC].churn_per_vm_h == 0);
    /* 3G + 1G of demand in 3G: the oracle is short 1G for the step */
    assert_true(r[BP_ORACLE].shortfall_gib_h > 1.0 * 300 / 3600.0 - 1e-9 &&
                r[BP_ORACLE].shortfall_gib_h < 1.0 * 300 / 3600.0 + 1e-9);
    for (int p = 0; p < BP_COUNT; p++)
        assert_true(r[p].shortfall_gib_h + 1e-9 >=
                    r[BP_ORACLE].shortfall_gib_h);
    assert_true(r[BP_ORACLE_MIN].shortfall_gib_h + 1e-9 >=
                r[BP_ORACLE].shortfall_gib_h);
    /* balloond moves memory to the burst: far better than static */
    assert_true(r[BP_BALLOOND].shortfall_gib_h <
                r[BP_STATIC].shortfall_gib_h * 0.9);
    assert_true(r[BP_BALLOOND].churn_per_vm_h > 0);
    /* plenty of memory: nobody is short */
    assert_int_equal(bd_bench_run(&t, BP_BALLOOND, 8 * GIB, &r[0], NULL), 0);
    assert_true(r[0].shortfall_gib_h < 0.01);
    bd_trace_dispose(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
