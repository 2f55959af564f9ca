/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_agent_procfs.c - balloon-agent's /proc parsers, rates and sampler.
 *
 * The parsers run on the recorded files in tests/data/proc (see its
 * README: a real machine's files and damaged variants) and on small
 * inline buffers for single malformations.  The sampler runs on copies in
 * a temporary directory so a test can change vmstat between two samples.
 * Run from the top of the source tree (make check does), or set
 * BD_TEST_PROC to the recorded directory.
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
#include <unistd.h>

#include <cmocka.h>

#include "agent/procfs.h"
#include "agent/sample.h"

static const char *data_dir(void)
{
    const char *d = getenv("BD_TEST_PROC");

    return d ? d : "tests/data/proc";
}

/* Read tests/data/proc/<rel> into a static buffer. */
static const char *load(const char *rel, size_t *len)
{
    static char buf[BD_PROCFS_MAX_BYTES];
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", data_dir(), rel);
    assert_int_equal(bd_read_file(path, buf, sizeof(buf), len), 0);
    return buf;
}

#define S(lit) (lit), (sizeof(lit) - 1)

/* ---- meminfo ------------------------------------------------------------ */

static void test_meminfo_real(void **state)
{
    struct bd_meminfo m;
    size_t len;
    const char *b = load("real/meminfo", &len);

    (void)state;
    assert_int_equal(bd_meminfo_parse(b, len, &m), 0);
    assert_int_equal(m.total_kib, 24683620);
    assert_int_equal(m.free_kib, 24074916);
    assert_int_equal(m.available_kib, 24327148);
    assert_true(m.has_available);
    assert_int_equal(m.swap_total_kib, 0);
    assert_int_equal(m.swap_free_kib, 0);
}

static void test_meminfo_swapping(void **state)
{
    struct bd_meminfo m;
    size_t len;
    const char *b = load("swapping/meminfo", &len);

    (void)state;
    assert_int_equal(bd_meminfo_parse(b, len, &m), 0);
    assert_int_equal(m.total_kib, 1015808);
    assert_int_equal(m.available_kib, 40960);
    assert_int_equal(m.swap_total_kib, 1048572);
    assert_int_equal(m.swap_free_kib, 612000);
}

static void test_meminfo_old_kernel(void **state)
{
    struct bd_meminfo m;
    size_t len;
    const char *b = load("old-kernel/meminfo", &len);

    (void)state;
    assert_int_equal(bd_meminfo_parse(b, len, &m), 0);
    assert_false(m.has_available);
    assert_int_equal(m.available_kib, m.free_kib);
    assert_int_equal(m.free_kib, 24074916);
}

static void test_meminfo_truncated(void **state)
{
    struct bd_meminfo m;
    size_t len;
    const char *b = load("truncated/meminfo", &len);

    (void)state;
    /* Stops inside "SwapFree:       12": must not report 12. */
    assert_int_equal(bd_meminfo_parse(b, len, &m), -EINVAL);
}

static void test_meminfo_huge(void **state)
{
    struct bd_meminfo m;
    size_t len;
    const char *b = load("huge/meminfo", &len);

    (void)state;
    assert_int_equal(bd_meminfo_parse(b, len, &m), -ERANGE);
}

static void test_meminfo_garbage(void **state)
{
    struct bd_meminfo m;
    size_t len;
    const char *b = load("garbage/meminfo", &len);

    (void)state;
    assert_int_equal(bd_meminfo_parse(b, len, &m), -EINVAL);
}

static void test_meminfo_inline(void **state)
{
    struct bd_meminfo m;

    (void)state;
    /* Minimal valid file; unknown and unit-less lines are skipped. */
    assert_int_equal(
        bd_meminfo_parse(S("MemTotal: 1000 kB\nMemFree: 10 kB\n"
                           "HugePages_Total: 0\nMemAvailable: 600 kB\n"
                           "SwapTotal: 0 kB\nSwapFree: 0 kB\n"),
                         &m),
        0);
    assert_int_equal(m.available_kib, 600);

    /* Missing fields. */
    assert_int_equal(bd_meminfo_parse(S(""), &m), -ENODATA);
    assert_int_equal(bd_meminfo_parse(S("MemTotal: 1000 kB\nMemFree: 10 kB\n"
                                        "SwapTotal: 0 kB\n"),
                                      &m),
                     -ENODATA);
    /* Duplicate. */
    assert_int_equal(bd_meminfo_parse(S("MemTotal: 1000 kB\nMemTotal: 9 kB\n"
                                        "MemFree: 10 kB\nSwapTotal: 0 kB\n"
                                        "SwapFree: 0 kB\n"),
                                      &m),
                     -EINVAL);
    /* Malformed values of a used field. */
    static const char *const bad[] = {
        "MemTotal: 1000\n",        /* no unit */
        "MemTotal: 1000 MB\n",     /* wrong unit */
        "MemTotal:1000 kB\n",      /* no separator */
        "MemTotal: +1000 kB\n",    /* sign */
        "MemTotal: 10 00 kB\n",    /* two numbers */
        "MemTotal: 1000 kB \n",    /* trailing junk */
        "MemTotal:  kB\n",         /* no number */
        "MemTotal: 0x10 kB\n",     /* hex */
        "MemTotal: 1000 kB",       /* unterminated */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = bd_meminfo_parse(bad[i], strlen(bad[i]), &m);
        if (rc != -EINVAL)
            fail_msg("'%s': %d", bad[i], rc);
    }
    /* A NUL inside a used line is not a digit. */
    assert_int_equal(bd_meminfo_parse(S("MemTotal: 10\0 kB\n"), &m), -EINVAL);
    /* MemTotal 0 is not a machine. */
    assert_int_equal(bd_meminfo_parse(S("MemTotal: 0 kB\nMemFree: 0 kB\n"
                                        "SwapTotal: 0 kB\nSwapFree: 0 kB\n"),
                                      &m),
                     -EINVAL);
    /* 2^64 overflows; 2^40 KiB + 1 is beyond BD_SIZE_MAX_KIB. */
    assert_int_equal(
        bd_meminfo_parse(S("MemTotal: 18446744073709551616 kB\n"), &m),
        -ERANGE);
    assert_int_equal(bd_meminfo_parse(S("MemTotal: 1099511627777 kB\n"), &m),
                     -ERANGE);
    /* Inconsistent but well-formed (balloon races): clamped, not failed. */
    assert_int_equal(
        bd_meminfo_parse(S("MemTotal: 1000 kB\nMemFree: 1200 kB\n"
                           "MemAvailable: 1500 kB\nSwapTotal: 10 kB\n"
                           "SwapFree: 20 kB\n"),
                         &m),
        0);
    assert_int_equal(m.free_kib, 1000);
    assert_int_equal(m.available_kib, 1000);
    assert_int_equal(m.swap_free_kib, 10);
    /* Oversized buffer. */
    assert_int_equal(bd_meminfo_parse("", BD_PROCFS_MAX_BYTES + 1, &m),
                     -EINVAL);
}

/* ---- vmstat ------------------------------------------------------------- */

static void test_vmstat_real(void **state)
{
    struct bd_vmstat v;
    size_t len;
    const char *b = load("real/vmstat", &len);

    (void)state;
    assert_int_equal(bd_vmstat_parse(b, len, &v), 0);
    assert_true(v.present);
    assert_int_equal(v.pswpin, 0);
    assert_int_equal(v.pswpout, 0);
    assert_int_equal(v.pgmajfault, 1267);

    b = load("swapping/vmstat", &len);
    assert_int_equal(bd_vmstat_parse(b, len, &v), 0);
    assert_int_equal(v.pswpin, 183402);
    assert_int_equal(v.pswpout, 291877);
    assert_int_equal(v.pgmajfault, 402311);
}

static void test_vmstat_damaged(void **state)
{
    struct bd_vmstat v;
    size_t len;
    const char *b;

    (void)state;
    b = load("truncated/vmstat", &len);
    assert_int_equal(bd_vmstat_parse(b, len, &v), -EINVAL);
    b = load("huge/vmstat", &len);
    assert_int_equal(bd_vmstat_parse(b, len, &v), -ERANGE);
    b = load("garbage/vmstat", &len);
    assert_int_equal(bd_vmstat_parse(b, len, &v), -EINVAL);

    /* The largest counter is valid. */
    assert_int_equal(bd_vmstat_parse(S("pswpin 1\npswpout 2\n"
                                       "pgmajfault 18446744073709551615\n"),
                                     &v),
                     0);
    assert_int_equal(v.pgmajfault, UINT64_MAX);
    /* None of them (CONFIG_VM_EVENT_COUNTERS=n): valid, not present. */
    assert_int_equal(bd_vmstat_parse(S("nr_free_pages 12\n"), &v), 0);
    assert_false(v.present);
    /* Some of them: a cut file. */
    assert_int_equal(bd_vmstat_parse(S("pswpin 1\npswpout 2\n"), &v),
                     -EINVAL);
    assert_int_equal(bd_vmstat_parse(S("pswpin 1\npswpin 1\npswpout 2\n"
                                       "pgmajfault 3\n"),
                                     &v),
                     -EINVAL);
    assert_int_equal(bd_vmstat_parse(S("pswpin -1\npswpout 2\n"
                                       "pgmajfault 3\n"),
                                     &v),
                     -EINVAL);
    assert_int_equal(bd_vmstat_parse(S("pswpin  1\npswpout 2\n"
                                       "pgmajfault 3\n"),
                                     &v),
                     -EINVAL);
    /* Names are matched whole: "pswpin_foo" is another counter. */
    assert_int_equal(bd_vmstat_parse(S("pswpin_foo x\npswpin 1\npswpout 2\n"
                                       "pgmajfault 3\n"),
                                     &v),
                     0);
    assert_int_equal(v.pswpin, 1);
}

/* ---- PSI ---------------------------------------------------------------- */

static void test_psi(void **state)
{
    struct bd_psi p;
    size_t len;
    const char *b;

    (void)state;
    b = load("real/pressure/memory", &len);
    assert_int_equal(bd_psi_parse(b, len, &p), 0);
    assert_int_equal(p.some_x100, 0);
    assert_true(p.has_full);

    b = load("swapping/pressure/memory", &len);
    assert_int_equal(bd_psi_parse(b, len, &p), 0);
    assert_int_equal(p.some_x100, 2345);
    assert_int_equal(p.full_x100, 1203);

    b = load("truncated/pressure/memory", &len);
    assert_int_equal(bd_psi_parse(b, len, &p), -EINVAL);
    b = load("huge/pressure/memory", &len);
    assert_int_equal(bd_psi_parse(b, len, &p), -ERANGE);
    b = load("garbage/pressure/memory", &len);
    assert_int_equal(bd_psi_parse(b, len, &p), -EINVAL);

    assert_int_equal(bd_psi_parse(S("some avg10=100.00 avg60=0.00\n"), &p), 0);
    assert_int_equal(p.some_x100, 10000);
    assert_false(p.has_full);
    assert_int_equal(bd_psi_parse(S("full avg10=1.00\n"), &p), -EINVAL);
    assert_int_equal(bd_psi_parse(S(""), &p), -EINVAL);
    assert_int_equal(bd_psi_parse(S("some avg10=1.00\nsome avg10=1.00\n"), &p),
                     -EINVAL);
    assert_int_equal(bd_psi_parse(S("some avg10=1.001\n"), &p), -EINVAL);
    assert_int_equal(bd_psi_parse(S("some avg10=-1.00\n"), &p), -EINVAL);
    assert_int_equal(bd_psi_parse(S("some avg60=1.00\n"), &p), -EINVAL);
    assert_int_equal(bd_psi_parse(S("some avg10=1.00\nother\n"), &p), -EINVAL);
    assert_int_equal(
        bd_psi_parse(S("some avg10=99999999999999999999.00\n"), &p), -ERANGE);
}

/* ---- rates -------------------------------------------------------------- */

static void test_counter_rate(void **state)
{
    uint64_t r = 99;

    (void)state;
    assert_int_equal(bd_counter_rate(100, 300, 1000, &r), 0);
    assert_int_equal(r, 200);
    assert_int_equal(bd_counter_rate(100, 300, 2000, &r), 0);
    assert_int_equal(r, 100);
    /* Rounded to nearest: 1 event in 1.5 s = 0.67/s -> 1; in 3 s -> 0. */
    assert_int_equal(bd_counter_rate(0, 1, 1500, &r), 0);
    assert_int_equal(r, 1);
    assert_int_equal(bd_counter_rate(0, 1, 3000, &r), 0);
    assert_int_equal(r, 0);
    /* Sub-second interval scales up. */
    assert_int_equal(bd_counter_rate(0, 5, 250, &r), 0);
    assert_int_equal(r, 20);
    assert_int_equal(bd_counter_rate(7, 7, 1000, &r), 0);
    assert_int_equal(r, 0);
    assert_int_equal(bd_counter_rate(1, 2, 0, &r), -EINVAL);

    /* A 32-bit counter wrapping: 2^32 - 10 -> 20 is +30. */
    assert_int_equal(bd_counter_rate(4294967286u, 20, 1000, &r), 0);
    assert_int_equal(r, 30);
    /* Going back elsewhere is a reset: rate 0, reported as 1. */
    r = 99;
    assert_int_equal(bd_counter_rate(1000, 5, 1000, &r), 1);
    assert_int_equal(r, 0);
    assert_int_equal(bd_counter_rate(UINT64_C(1) << 40, 5, 1000, &r), 1);
    assert_int_equal(r, 0);
    /* Garbage jumps saturate instead of wrapping. */
    assert_int_equal(bd_counter_rate(0, UINT64_MAX, 1, &r), 0);
    assert_int_equal(r, UINT64_MAX);
}

/* ---- sampler on a scratch /proc ----------------------------------------- */

static char scratch[64];

static void copy(const char *from_rel, const char *to_rel)
{
    char to[256], buf[BD_PROCFS_MAX_BYTES];
    size_t len;
    const char *b = load(from_rel, &len);
    FILE *f;

    memcpy(buf, b, len);
    snprintf(to, sizeof(to), "%s/%s", scratch, to_rel);
    f = fopen(to, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int scratch_setup(void **state)
{
    char p[128];

    (void)state;
    snprintf(scratch, sizeof(scratch), "/tmp/bd-agent-proc.XXXXXX");
    if (!mkdtemp(scratch))
        return -1;
    snprintf(p, sizeof(p), "%s/pressure", scratch);
    return mkdir(p, 0700);
}

static int scratch_teardown(void **state)
{
    static const char *const files[] = { "meminfo", "vmstat",
                                         "pressure/memory", "pressure" };
    char p[128];

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", scratch, files[i]);
        remove(p);
    }
    return rmdir(scratch);
}

static void test_sampler(void **state)
{
    struct bd_agent_sample s;
    struct bd_sampler sm;
    char p[128];

    (void)state;
    copy("swapping/meminfo", "meminfo");
    copy("swapping/vmstat", "vmstat");
    copy("swapping/pressure/memory", "pressure/memory");
    assert_int_equal(bd_sampler_init(&sm, scratch), 0);

    /* First sample: no base for rates yet. */
    assert_int_equal(bd_sampler_read(&sm, 10000, &s), 0);
    assert_int_equal(s.mem.available_kib, 40960);
    assert_false(s.has_rates);
    assert_true(s.has_psi);
    assert_int_equal(s.psi.some_x100, 2345);

    /* One second later: +2000 pswpin, +500 pswpout, +3000 pgmajfault. */
    copy("swapping/vmstat.next", "vmstat");
    assert_int_equal(bd_sampler_read(&sm, 11000, &s), 0);
    assert_true(s.has_rates);
    assert_int_equal(s.swapin_rate, 2000);
    assert_int_equal(s.swapout_rate, 500);
    assert_int_equal(s.majflt_rate, 3000);

    /* Same millisecond again: last rates repeated, base kept. */
    assert_int_equal(bd_sampler_read(&sm, 11000, &s), 0);
    assert_true(s.has_rates);
    assert_int_equal(s.swapin_rate, 2000);
    /* Samples closer than 90% of the rate window repeat the last rates;
     * 11899 is still too close, 11900 is a new interval. */
    assert_int_equal(bd_sampler_read(&sm, 11100, &s), 0);
    assert_int_equal(s.swapin_rate, 2000);
    assert_int_equal(bd_sampler_read(&sm, 11899, &s), 0);
    assert_int_equal(s.swapin_rate, 2000);
    assert_int_equal(bd_sampler_read(&sm, 11900, &s), 0);
    assert_int_equal(s.swapin_rate, 0);
    assert_int_equal(s.majflt_rate, 0);

    /* Counters go back (a different kernel's numbers): a reset, rate 0,
     * then rates resume from the new base. */
    copy("real/vmstat", "vmstat");
    assert_int_equal(bd_sampler_read(&sm, 13000, &s), 0);
    assert_true(s.has_rates);
    assert_int_equal(s.swapin_rate, 0);
    assert_int_equal(s.majflt_rate, 0);
    assert_int_equal(sm.resets, 3);
    copy("swapping/vmstat", "vmstat");
    assert_int_equal(bd_sampler_read(&sm, 15000, &s), 0);
    assert_int_equal(s.swapin_rate, 183402 / 2);

    /* vmstat damaged: no rates, the error is kept; meminfo still counts. */
    copy("truncated/vmstat", "vmstat");
    assert_int_equal(bd_sampler_read(&sm, 16000, &s), 0);
    assert_false(s.has_rates);
    assert_int_equal(sm.vmstat_rc, -EINVAL);
    /* Back: needs a new base first. */
    copy("swapping/vmstat", "vmstat");
    assert_int_equal(bd_sampler_read(&sm, 17000, &s), 0);
    assert_false(s.has_rates);
    assert_int_equal(sm.vmstat_rc, 0);
    assert_int_equal(bd_sampler_read(&sm, 18000, &s), 0);
    assert_true(s.has_rates);

    /* PSI gone (or garbage): has_psi false, the reason kept. */
    snprintf(p, sizeof(p), "%s/pressure/memory", scratch);
    assert_int_equal(remove(p), 0);
    assert_int_equal(bd_sampler_read(&sm, 19000, &s), 0);
    assert_false(s.has_psi);
    assert_int_equal(sm.psi_rc, -ENOENT);
    copy("garbage/pressure/memory", "pressure/memory");
    assert_int_equal(bd_sampler_read(&sm, 20000, &s), 0);
    assert_false(s.has_psi);
    assert_int_equal(sm.psi_rc, -EINVAL);
    assert_int_equal(s.psi.some_x100, 0);

    /* meminfo damaged: the sample fails. */
    copy("truncated/meminfo", "meminfo");
    assert_int_equal(bd_sampler_read(&sm, 21000, &s), -EINVAL);
    snprintf(p, sizeof(p), "%s/meminfo", scratch);
    assert_int_equal(remove(p), 0);
    assert_int_equal(bd_sampler_read(&sm, 22000, &s), -ENOENT);
}

static void test_read_file_limits(void **state)
{
    char buf[16];
    size_t len = 0;

    (void)state;
    /* A file larger than the buffer is -EFBIG, never a silent cut. */
    assert_int_equal(bd_read_file("tests/data/proc/real/meminfo", buf,
                                  sizeof(buf), &len),
                     -EFBIG);
    assert_int_equal(bd_read_file("/nonexistent/x", buf, sizeof(buf), &len),
                     -ENOENT);
    {
        static struct bd_sampler sm;
        static char longdir[PATH_MAX];

        memset(longdir, 'a', sizeof(longdir) - 1);
        longdir[0] = '/';
        assert_int_equal(bd_sampler_init(&sm, longdir), -ENAMETOOLONG);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meminfo_real),
        cmocka_unit_test(test_meminfo_swapping),
        cmocka_unit_test(test_meminfo_old_kernel),
        cmocka_unit_test(test_meminfo_truncated),
        cmocka_unit_test(test_meminfo_huge),
        cmocka_unit_test(test_meminfo_garbage),
        cmocka_unit_test(test_meminfo_inline),
        cmocka_unit_test(test_vmstat_real),
        cmocka_unit_test(test_vmstat_damaged),
        cmocka_unit_test(test_psi),
        cmocka_unit_test(test_counter_rate),
        cmocka_unit_test_setup_teardown(test_sampler, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test(test_read_file_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
