/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_decide.c - the pure decisions around the plan (daemon/policy/decide.h).
 *
 * Each contract clause of decide.h has a case here: the target range,
 * the growth budget, the kind of write (a stuck domain's retry included),
 * start-up deferral, partial grows, early plans on a report, set and
 * reserve admission, and the kick schedule.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/policy/decide.h"

#define M (UINT64_C(1024))
#define G (UINT64_C(1024) * 1024)

static void test_range(void **state)
{
    struct bd_range r;

    (void)state;
    r = bd_target_range(512 * M, 8 * G, 4 * G);
    assert_int_equal(r.lo_kib, 512 * M);
    assert_int_equal(r.hi_kib, 4 * G); /* static-max caps max */
    r = bd_target_range(512 * M, 2 * G, 4 * G);
    assert_int_equal(r.hi_kib, 2 * G);
    r = bd_target_range(512 * M, 2 * G, 0); /* static-max unknown */
    assert_int_equal(r.hi_kib, 2 * G);
    r = bd_target_range(6 * G, 8 * G, 4 * G); /* min above static-max */
    assert_int_equal(r.lo_kib, 4 * G);
    assert_int_equal(r.hi_kib, 4 * G);
}

static void test_budget(void **state)
{
    (void)state;
    assert_int_equal(bd_sub0(3, 5), 0);
    assert_int_equal(bd_sub0(5, 3), 2);
    assert_int_equal(bd_free_unclaimed_kib(1 * G, 256 * M), 768 * M);
    assert_int_equal(bd_free_unclaimed_kib(256 * M, 1 * G), 0);
    /* free 1G, 300M promised to others, 256M must stay free */
    assert_int_equal(bd_growth_budget(1 * G, 300 * M, 256 * M), 468 * M);
    assert_int_equal(bd_growth_budget(500 * M, 300 * M, 256 * M), 0);
}

static void test_write_kind(void **state)
{
    struct bd_decision dec;

    (void)state;
    memset(&dec, 0, sizeof(dec));
    dec.target_kib = 1 * G;
    assert_int_equal(bd_write_kind_of(&dec, 2 * G, BD_MODE_AUTO),
                     BD_WRITE_NONE); /* write not asked */
    dec.write = true;
    assert_int_equal(bd_write_kind_of(&dec, 2 * G, BD_MODE_AUTO),
                     BD_WRITE_SHRINK);
    assert_int_equal(bd_write_kind_of(&dec, 512 * M, BD_MODE_AUTO),
                     BD_WRITE_GROW);
    assert_int_equal(bd_write_kind_of(&dec, 2 * G, BD_MODE_IGNORE),
                     BD_WRITE_NONE);
    /* The same target again: only a stuck domain's retry is written. */
    assert_int_equal(bd_write_kind_of(&dec, 1 * G, BD_MODE_AUTO),
                     BD_WRITE_NONE);
    dec.state = BD_STATE_STUCK;
    assert_int_equal(bd_write_kind_of(&dec, 1 * G, BD_MODE_AUTO),
                     BD_WRITE_RETRY);
}

static void test_defer_shrink(void **state)
{
    struct bd_defer_in in = {
        .now_ms = 10000, .start_ms = 0, .shrink_delay_ms = 60000,
        .host_short = false, .target_in_range = true, .pinned = false,
        .mode = BD_MODE_AUTO,
    };

    (void)state;
    assert_true(bd_defer_shrink(&in));
    in.now_ms = 60000; /* delay over */
    assert_false(bd_defer_shrink(&in));
    in.now_ms = 10000;
    in.host_short = true; /* the memory is needed now */
    assert_false(bd_defer_shrink(&in));
    in.host_short = false;
    in.asked = true; /* balloonctl set or reserve waits for memory */
    assert_false(bd_defer_shrink(&in));
    in.asked = false;
    in.target_in_range = false; /* a limit is broken */
    assert_false(bd_defer_shrink(&in));
    in.target_in_range = true;
    in.pinned = true;
    assert_false(bd_defer_shrink(&in));
    in.pinned = false;
    in.mode = BD_MODE_FIXED;
    assert_false(bd_defer_shrink(&in));
}

static void test_grow_target(void **state)
{
    (void)state;
    /* Covered: the whole grow. */
    assert_int_equal(bd_grow_target(1 * G, 2 * G, 1 * G, 64 * M, 0), 2 * G);
    /* Part of it, worth a write. */
    assert_int_equal(bd_grow_target(1 * G, 2 * G, 300 * M, 64 * M, 0),
                     1 * G + 300 * M);
    /* Less than a quarter of the grow waits (behind a slow donor). */
    assert_int_equal(bd_grow_target(1 * G, 2 * G, 200 * M, 64 * M, 0), 0);
    /* A sliver below hysteresis waits. */
    assert_int_equal(bd_grow_target(1 * G, 2 * G, 10 * M, 64 * M, 0), 0);
    /* Nothing free waits. */
    assert_int_equal(bd_grow_target(1 * G, 2 * G, 0, 0, 0), 0);
    /* A partial target that would stay below min waits. */
    assert_int_equal(bd_grow_target(100 * M, 2 * G, 100 * M, 64 * M, 512 * M),
                     0);
}

static void test_report_wants_growth(void **state)
{
    struct bd_policy_params p;
    struct bd_guest_stats st;

    (void)state;
    bd_policy_params_default(&p);
    p.headroom_pct = 10;
    p.headroom_min_kib = 64 * M;
    p.hysteresis_kib = 64 * M;
    memset(&st, 0, sizeof(st));
    st.used_kib = 4 * G;
    assert_false(bd_report_wants_growth(&p, &st, 1 * G)); /* not present */
    st.present = true;
    st.used_kib = 512 * M;
    assert_false(bd_report_wants_growth(&p, &st, 1 * G));
    st.used_kib = 1 * G; /* 1G + 102M headroom > 1G + 64M */
    assert_true(bd_report_wants_growth(&p, &st, 1 * G));
    st.used_kib = 256 * M;
    st.has_rates = true;
    st.swapin_per_s = 100; /* pressure (bd_guest_pressure()) */
    assert_true(bd_report_wants_growth(&p, &st, 1 * G));
}

static void test_admit_set(void **state)
{
    struct bd_range r = {.lo_kib = 256 * M, .hi_kib = 4 * G};
    uint64_t short_kib = 1;

    (void)state;
    assert_int_equal(bd_admit_set(1 * G, 2 * G, r, 0, &short_kib), 0);
    assert_int_equal(short_kib, 0); /* a shrink needs no free memory */
    assert_int_equal(bd_admit_set(128 * M, 2 * G, r, 0, &short_kib),
                     -ERANGE);
    assert_int_equal(bd_admit_set(5 * G, 2 * G, r, 8 * G, &short_kib),
                     -ERANGE);
    assert_int_equal(bd_admit_set(3 * G, 2 * G, r, 512 * M, &short_kib),
                     -ENOSPC);
    assert_int_equal(short_kib, 512 * M);
    assert_int_equal(bd_admit_set(3 * G, 2 * G, r, 1 * G, &short_kib), 0);
}

static void test_admit_reserve(void **state)
{
    uint64_t can = 0;

    (void)state;
    assert_int_equal(bd_admit_reserve(1 * G, 3 * G, 1 * G, &can), 0);
    assert_int_equal(can, 2 * G);
    assert_int_equal(bd_admit_reserve(3 * G, 3 * G, 1 * G, &can), -ENOSPC);
    assert_int_equal(can, 2 * G);
    assert_int_equal(bd_admit_reserve(1, 1 * G, 2 * G, &can), -ENOSPC);
    assert_int_equal(can, 0);
}

static void test_kick_at(void **state)
{
    (void)state;
    /* No cycle yet: after the short settle delay. */
    assert_int_equal(bd_kick_at(5000, 0), 5000 + BD_KICK_DELAY_MS);
    /* Long after the last cycle: the same. */
    assert_int_equal(bd_kick_at(5000, 1000), 5000 + BD_KICK_DELAY_MS);
    /* Right after one: not before the gap has passed. */
    assert_int_equal(bd_kick_at(5000, 4900), 4900 + BD_KICK_GAP_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_write_kind),
        cmocka_unit_test(test_defer_shrink),
        cmocka_unit_test(test_grow_target),
        cmocka_unit_test(test_report_wants_growth),
        cmocka_unit_test(test_admit_set),
        cmocka_unit_test(test_admit_reserve),
        cmocka_unit_test(test_kick_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
