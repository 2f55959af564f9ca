/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_guest_stats.c - the guest report parsers against hostile input.
 *
 * Every convention (balloon-agent keys, XenServer meminfo_*, both Qubes
 * memory/meminfo forms) is fed valid reports, then garbage: huge numbers,
 * signs, spaces, junk, empty and overlong values, values above the
 * domain's static-max, inconsistent pairs.  A bad value must make the
 * report invalid (never a partial or clamped report).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/policy/guest_stats.h"

#define SMAX (4ULL * 1024 * 1024) /* 4 GiB static-max */

static void set(struct bd_stat_raw *r, enum bd_stat_key k, const char *v)
{
    r->val[k] = v;
    r->len[k] = v ? strlen(v) : 0;
}

static void agent_ok(struct bd_stat_raw *r)
{
    memset(r, 0, sizeof(*r));
    set(r, BD_SK_MEM_TOTAL, "2000000");
    set(r, BD_SK_MEM_AVAIL, "500000");
    set(r, BD_SK_SWAP_TOTAL, "1000000");
    set(r, BD_SK_SWAP_FREE, "900000");
    set(r, BD_SK_SWAPIN, "120");
    set(r, BD_SK_SWAPOUT, "3");
    set(r, BD_SK_MAJFLT, "45");
    set(r, BD_SK_PSI_SOME, "1234");
    set(r, BD_SK_PSI_FULL, "200");
    set(r, BD_SK_SEQ, "77");
}

static int parse(const struct bd_stat_raw *r, struct bd_guest_stats *st,
                 const char **why, int *bad)
{
    uint64_t seq;
    return bd_guest_stats_parse(r, SMAX, 1000, st, &seq, why, bad);
}

static void test_agent_valid(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    uint64_t seq = 0;
    int bad;

    (void)state;
    agent_ok(&r);
    assert_int_equal(bd_guest_stats_parse(&r, SMAX, 1234, &st, &seq, &why,
                                          &bad), 0);
    assert_true(st.present);
    assert_int_equal(st.time_ms, 1234);
    assert_int_equal(st.total_kib, 2000000);
    assert_int_equal(st.used_kib, 1500000);
    assert_true(st.has_rates);
    assert_int_equal(st.swapin_per_s, 120);
    assert_int_equal(st.swapout_per_s, 3);
    assert_int_equal(st.majflt_per_s, 45);
    assert_true(st.has_psi);
    assert_int_equal(st.psi_some_x100, 1234);
    assert_int_equal(st.swap_used_kib, 100000);
    assert_int_equal(seq, 77);
    /* The agent has a heartbeat: its reports age. */
    assert_false(st.until_changed);
}

static void test_agent_minimal(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_MEM_TOTAL, "1048576\n"); /* one newline is tolerated */
    set(&r, BD_SK_MEM_AVAIL, "0");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.used_kib, 1048576);
    assert_false(st.has_rates);
    assert_false(st.has_psi);
    assert_int_equal(st.swap_used_kib, 0); /* unknown */
}

/* Each hostile value in each number key must reject the whole report. */
static void test_agent_hostile_values(void **state)
{
    static const char *const junk[] = {
        "", "-1", "+5", " 5", "5 ", "5\n\n", "0x10", "1e9", "12a", "abc",
        "18446744073709551616",         /* 2^64 */
        "99999999999999999999999",      /* overlong */
        "000000000000000000001",        /* 21 chars */
        "１２", "5\0" "5", "\n",
    };
    static const enum bd_stat_key keys[] = {
        BD_SK_MEM_TOTAL, BD_SK_MEM_AVAIL, BD_SK_SWAP_TOTAL, BD_SK_SWAP_FREE,
        BD_SK_SWAPIN, BD_SK_SWAPOUT, BD_SK_MAJFLT, BD_SK_PSI_SOME,
        BD_SK_PSI_FULL, BD_SK_SEQ,
    };
    (void)state;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
            struct bd_stat_raw r;
            struct bd_guest_stats st;
            const char *why = NULL;
            int bad = -1;

            agent_ok(&r);
            r.val[keys[k]] = junk[j];
            /* "5\0""5": an embedded NUL within the stated length. */
            r.len[keys[k]] = j == 14 ? 3 : strlen(junk[j]);
            assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
            assert_false(st.present);
            assert_non_null(why);
            assert_int_equal(bad, (int)keys[k]);
        }
}

static void test_agent_insane(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    /* More memory than the domain can ever have. */
    agent_ok(&r);
    set(&r, BD_SK_MEM_TOTAL, "999999999");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    assert_int_equal(bad, BD_SK_MEM_TOTAL);
    /* Available above total. */
    agent_ok(&r);
    set(&r, BD_SK_MEM_AVAIL, "2000001");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    assert_int_equal(bad, BD_SK_MEM_AVAIL);
    /* Zero total. */
    agent_ok(&r);
    set(&r, BD_SK_MEM_TOTAL, "0");
    set(&r, BD_SK_MEM_AVAIL, "0");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    /* Swap free above swap total. */
    agent_ok(&r);
    set(&r, BD_SK_SWAP_FREE, "1000001");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    assert_int_equal(bad, BD_SK_SWAP_FREE);
    /* PSI above 100%. */
    agent_ok(&r);
    set(&r, BD_SK_PSI_SOME, "10001");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    /* full > some is impossible. */
    agent_ok(&r);
    set(&r, BD_SK_PSI_FULL, "2000");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    /* A rate nobody has. */
    agent_ok(&r);
    set(&r, BD_SK_SWAPIN, "100000001");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    /* At the static-max (plus page slack) is still fine. */
    agent_ok(&r);
    set(&r, BD_SK_MEM_TOTAL, "4194304");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
}

static void test_incomplete_agent(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_MEM_TOTAL, "1000");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    assert_false(st.present);
    /* Nothing at all: a guest without an agent. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(parse(&r, &st, &why, &bad), -ENOENT);
    assert_false(st.present);
}

static void test_xenserver(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_XS_TOTAL, "1017856");
    set(&r, BD_SK_XS_FREE, "617856");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.used_kib, 400000);
    assert_int_equal(st.total_kib, 1017856);
    assert_false(st.has_rates);

    /* A write-on-change format: valid until it changes. */
    assert_true(st.until_changed);

    /* Free above total is xe-daemon between its two writes (it writes
     * one key at a time): not malformed, "being written". */
    set(&r, BD_SK_XS_FREE, "1017857");
    assert_int_equal(parse(&r, &st, &why, &bad), -EAGAIN);
    assert_false(st.present);
    assert_int_equal(bad, BD_SK_XS_FREE);
    set(&r, BD_SK_XS_FREE, "-1");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    set(&r, BD_SK_XS_FREE, "100");
    set(&r, BD_SK_XS_TOTAL, "5000000000");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    assert_int_equal(bad, BD_SK_XS_TOTAL);
}

/* balloon-agent keys win over XenServer's when both are there. */
static void test_preference(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    agent_ok(&r);
    set(&r, BD_SK_XS_TOTAL, "3000000");
    set(&r, BD_SK_XS_FREE, "100");
    set(&r, BD_SK_QUBES, "12345");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.used_kib, 1500000);
    /* XenServer over Qubes. */
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_XS_TOTAL, "3000000");
    set(&r, BD_SK_XS_FREE, "1000000");
    set(&r, BD_SK_QUBES, "12345");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.used_kib, 2000000);
}

static void test_qubes_classic(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_QUBES,
        "MemTotal:        2000000 kB\nMemFree:          300000 kB\n"
        "Buffers:          100000 kB\nCached:           600000 kB\n"
        "SwapTotal:       1000000 kB\nSwapFree:         1000000 kB\n");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.total_kib, 2000000);
    assert_int_equal(st.used_kib, 1000000);
    assert_int_equal(st.swap_used_kib, 0);
    set(&r, BD_SK_QUBES,
        "MemTotal: 2000000 kB\nMemFree: 300000 kB\nBuffers: 100000 kB\n"
        "Cached: 600000 kB\nSwapTotal: 1000000 kB\nSwapFree: 250000 kB\n");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.swap_used_kib, 750000);

    /* MemAvailable, when there, is what counts; no trailing newline;
     * unknown fields are skipped. */
    set(&r, BD_SK_QUBES,
        "MemTotal: 2000000 kB\nMemFree: 300000 kB\nHugePages_Total: 0\n"
        "MemAvailable: 1500000 kB");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.used_kib, 500000);
}

static void test_qubes_number(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_QUBES, "812345");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    assert_int_equal(st.used_kib, 812345);
    assert_int_equal(st.total_kib, 0);
    assert_true(st.until_changed);
    set(&r, BD_SK_QUBES, "812345\n");
    assert_int_equal(parse(&r, &st, &why, &bad), 0);
    set(&r, BD_SK_QUBES, "9999999999"); /* above static-max */
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    assert_int_equal(bad, BD_SK_QUBES);
    set(&r, BD_SK_QUBES, "-5");
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
}

/* qubesd creates memory/meminfo empty: no report yet, not a bad one. */
static void test_qubes_empty(void **state)
{
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_QUBES, "");
    assert_int_equal(parse(&r, &st, &why, &bad), -ENOENT);
    assert_false(st.present);
    set(&r, BD_SK_QUBES, "\n");
    assert_int_equal(parse(&r, &st, &why, &bad), -ENOENT);
}

static void test_qubes_hostile(void **state)
{
    static const char *const bad_texts[] = {
        " ",
        "MemTotal: 2000000 kB\n",                       /* no MemFree */
        "MemFree: 1000 kB\n",                           /* no MemTotal */
        "MemTotal: -2000000 kB\nMemFree: 10 kB\n",
        "MemTotal: 2000000 kB\nMemFree: 3000000 kB\n",  /* free > total */
        "MemTotal: 2000000 kB\nMemFree: 1000000 kB\nCached: 1500000 kB\n",
        "MemTotal: 2000000 kB\nMemTotal: 1000 kB\nMemFree: 1 kB\n",
        "MemTotal: 9000000000 kB\nMemFree: 1 kB\n",     /* > static-max */
        "MemTotal: 2000000 MB\nMemFree: 1 kB\n",        /* wrong unit */
        "MemTotal 2000000 kB\nMemFree: 1 kB\n",         /* no colon */
        ": 5\nMemTotal: 2000000 kB\nMemFree: 1 kB\n",
        "Mem Total: 5 kB\nMemTotal: 2000000 kB\nMemFree: 1 kB\n",
        "MemTotal: 2000000 kB\nMemFree: 1x kB\n",
        "MemTotal: 99999999999999999999999 kB\nMemFree: 1 kB\n",
        "MemTotal: 2000000 kB\nMemFree: 1 kB\nMemAvailable: 2000001 kB\n",
        "MemTotal: 2000000 kB\nMemFree: 1 kB\nSwapTotal: 5 kB\nSwapFree: 6 kB\n",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
        struct bd_stat_raw r;
        struct bd_guest_stats st;
        const char *why = NULL;
        int bad;

        memset(&r, 0, sizeof(r));
        set(&r, BD_SK_QUBES, bad_texts[i]);
        assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
        assert_false(st.present);
        assert_non_null(why);
    }
}

static void test_overlong_meminfo(void **state)
{
    static char big[BD_STAT_MEMINFO_MAX + 100];
    struct bd_stat_raw r;
    struct bd_guest_stats st;
    const char *why;
    int bad;

    (void)state;
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memset(&r, 0, sizeof(r));
    set(&r, BD_SK_QUBES, big);
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
    /* A value length beyond what the caller could read is also bad. */
    agent_ok(&r);
    r.val[BD_SK_MEM_TOTAL] = big;
    r.len[BD_SK_MEM_TOTAL] = sizeof(big) - 1;
    assert_int_equal(parse(&r, &st, &why, &bad), -EINVAL);
}

static void test_parse_num(void **state)
{
    uint64_t v = 7;
    const char *why;

    (void)state;
    assert_int_equal(bd_stat_parse_num("0", 1, 10, &v, &why), 0);
    assert_int_equal(v, 0);
    assert_int_equal(bd_stat_parse_num("10", 2, 10, &v, &why), 0);
    assert_int_equal(v, 10);
    assert_int_equal(bd_stat_parse_num("11", 2, 10, &v, &why), -ERANGE);
    assert_int_equal(bd_stat_parse_num("18446744073709551615", 20,
                                       UINT64_MAX, &v, &why), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(bd_stat_parse_num("18446744073709551616", 20,
                                       UINT64_MAX, &v, &why), -ERANGE);
    assert_int_equal(bd_stat_parse_num("12", 1, 100, &v, &why), 0);
    assert_int_equal(v, 1); /* only len bytes are looked at */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_valid),
        cmocka_unit_test(test_agent_minimal),
        cmocka_unit_test(test_agent_hostile_values),
        cmocka_unit_test(test_agent_insane),
        cmocka_unit_test(test_incomplete_agent),
        cmocka_unit_test(test_xenserver),
        cmocka_unit_test(test_preference),
        cmocka_unit_test(test_qubes_classic),
        cmocka_unit_test(test_qubes_number),
        cmocka_unit_test(test_qubes_empty),
        cmocka_unit_test(test_qubes_hostile),
        cmocka_unit_test(test_overlong_meminfo),
        cmocka_unit_test(test_parse_num),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
