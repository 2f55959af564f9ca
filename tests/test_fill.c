/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fill.c - unit tests of the fill algorithms (daemon/policy/fill.c).
 *
 * Links nothing but fill.c.  Hand-computed cases for each fill (empty set,
 * budget below and above the total room, equal and unequal weights, caps,
 * zero weight, ties), then a property test over random item sets, small
 * (insertion sort) and large (radix sort): allocations only rise, never
 * above their caps, the fill hands out exactly what it reports and never
 * more than the budget, the result is deterministic, and each fill's own
 * rule holds (max-min fairness, longest fitting run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/policy/fill.h"
#include "tests/rng.h"

#define MAX_ITEMS 300

typedef uint64_t (*fill_fn)(struct bd_fill_item *, size_t, uint64_t,
                            uint64_t *);

static uint64_t scratch[MAX_ITEMS * BD_FILL_SCRATCH_WORDS];

static void item(struct bd_fill_item *x, uint64_t alloc, uint64_t cap,
                 uint64_t lo, uint64_t weight)
{
    x->alloc = alloc;
    x->cap = cap;
    x->lo = lo;
    x->weight = weight;
}

/* ---- every fill ---------------------------------------------------------- */

static void test_empty(void **state)
{
    fill_fn fills[] = {bd_fill_water, bd_fill_level, bd_fill_cut};
    struct bd_fill_item x;
    (void)state;

    item(&x, 5, 10, 0, 1);
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(fills[k](&x, 0, 1000, scratch), 0);
        assert_int_equal(x.alloc, 5); /* m = 0: nothing is touched */
    }
}

static void test_budget_above_room_fills_every_cap(void **state)
{
    fill_fn fills[] = {bd_fill_water, bd_fill_level, bd_fill_cut};
    struct bd_fill_item it[3];
    (void)state;

    for (size_t k = 0; k < 3; k++) {
        item(&it[0], 0, 100, 0, 1);
        item(&it[1], 50, 300, 0, 7);
        item(&it[2], 20, 20, 0, 3); /* no room at all */
        assert_int_equal(fills[k](it, 3, 10000, scratch), 100 + 250);
        assert_int_equal(it[0].alloc, 100);
        assert_int_equal(it[1].alloc, 300);
        assert_int_equal(it[2].alloc, 20);
    }
}

static void test_zero_budget_changes_nothing(void **state)
{
    fill_fn fills[] = {bd_fill_water, bd_fill_level, bd_fill_cut};
    struct bd_fill_item it[2];
    (void)state;

    for (size_t k = 0; k < 3; k++) {
        item(&it[0], 10, 100, 10, 1);
        item(&it[1], 10, 300, 10, 2);
        assert_int_equal(fills[k](it, 2, 0, scratch), 0);
        assert_int_equal(it[0].alloc, 10);
        assert_int_equal(it[1].alloc, 10);
    }
}

/* ---- water -----------------------------------------------------------------
 */

static void test_water_equal_weights_equal_grants(void **state)
{
    struct bd_fill_item it[4];
    (void)state;

    for (size_t i = 0; i < 4; i++)
        item(&it[i], i * 1000, 100000, 0, 5); /* different starts */
    assert_int_equal(bd_fill_water(it, 4, 4000, scratch), 4000);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(it[i].alloc, i * 1000 + 1000);
}

static void test_water_weights_and_caps(void **state)
{
    struct bd_fill_item it[3];
    (void)state;

    /* weights 1:3, and a third item whose room (100) is below its share:
     * it is filled, the rest is split 1:3 */
    item(&it[0], 0, 100000, 0, 1);
    item(&it[1], 0, 100000, 0, 3);
    item(&it[2], 0, 100, 0, 4);
    assert_int_equal(bd_fill_water(it, 3, 4100, scratch), 4100);
    assert_int_equal(it[0].alloc, 1000);
    assert_int_equal(it[1].alloc, 3000);
    assert_int_equal(it[2].alloc, 100);
}

static void test_water_zero_weight_counts_as_one(void **state)
{
    struct bd_fill_item it[2];
    (void)state;

    item(&it[0], 0, 1000, 0, 0);
    item(&it[1], 0, 1000, 0, 1);
    assert_int_equal(bd_fill_water(it, 2, 600, scratch), 600);
    assert_int_equal(it[0].alloc, 300);
    assert_int_equal(it[1].alloc, 300);
}

static void test_water_rounds_down(void **state)
{
    struct bd_fill_item it[3];
    uint64_t given;
    (void)state;

    /* 100 KiB over three equal weights: 33 each, 1 KiB stays */
    for (size_t i = 0; i < 3; i++)
        item(&it[i], 0, 1000, 0, 1);
    given = bd_fill_water(it, 3, 100, scratch);
    assert_int_equal(given, 99);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(it[i].alloc, 33);
}

/* ---- level -----------------------------------------------------------------
 */

static void test_level_above_level_keeps_its_own(void **state)
{
    struct bd_fill_item it[2];
    (void)state;

    /* the level counts from lo = 0: the second item already holds 600,
     * so the first rises alone until 600, then both rise together */
    item(&it[0], 0, 1000, 0, 1);
    item(&it[1], 600, 1000, 0, 1);
    assert_int_equal(bd_fill_level(it, 2, 600, scratch), 600);
    assert_int_equal(it[0].alloc, 600);
    assert_int_equal(it[1].alloc, 600);

    item(&it[0], 0, 1000, 0, 1);
    item(&it[1], 600, 1000, 0, 1);
    assert_int_equal(bd_fill_level(it, 2, 1000, scratch), 1000);
    assert_int_equal(it[0].alloc, 800);
    assert_int_equal(it[1].alloc, 800);

    /* a small budget: only the one below the level rises */
    item(&it[0], 0, 1000, 0, 1);
    item(&it[1], 600, 1000, 0, 1);
    assert_int_equal(bd_fill_level(it, 2, 200, scratch), 200);
    assert_int_equal(it[0].alloc, 200);
    assert_int_equal(it[1].alloc, 600);
}

static void test_level_counts_from_lo(void **state)
{
    struct bd_fill_item it[2];
    (void)state;

    /* weights 1:2 above different lo: lo + w * L, L = 300 */
    item(&it[0], 1000, 5000, 1000, 1);
    item(&it[1], 2000, 5000, 2000, 2);
    assert_int_equal(bd_fill_level(it, 2, 900, scratch), 900);
    assert_int_equal(it[0].alloc, 1300);
    assert_int_equal(it[1].alloc, 2600);
}

static void test_level_caps(void **state)
{
    struct bd_fill_item it[3];
    (void)state;

    item(&it[0], 0, 50, 0, 1); /* capped early */
    item(&it[1], 0, 10000, 0, 1);
    item(&it[2], 0, 10000, 0, 1);
    assert_int_equal(bd_fill_level(it, 3, 1050, scratch), 1050);
    assert_int_equal(it[0].alloc, 50);
    assert_int_equal(it[1].alloc, 500);
    assert_int_equal(it[2].alloc, 500);
}

/* ---- cut -------------------------------------------------------------------
 */

static void test_cut_longest_fitting_run(void **state)
{
    struct bd_fill_item it[3];
    (void)state;

    /* rooms 300, 100, 200: in order 100, 200 fit in 350, 300 does not */
    item(&it[0], 0, 300, 0, 1);
    item(&it[1], 0, 100, 0, 1);
    item(&it[2], 0, 200, 0, 1);
    assert_int_equal(bd_fill_cut(it, 3, 350, scratch), 300);
    assert_int_equal(it[0].alloc, 0);
    assert_int_equal(it[1].alloc, 100);
    assert_int_equal(it[2].alloc, 200);
}

static void test_cut_orders_by_room_per_weight(void **state)
{
    struct bd_fill_item it[2];
    (void)state;

    /* room 300 at weight 10 (30 per unit) goes before room 100 at
     * weight 1 (100 per unit) */
    item(&it[0], 0, 100, 0, 1);
    item(&it[1], 0, 300, 0, 10);
    assert_int_equal(bd_fill_cut(it, 2, 350, scratch), 300);
    assert_int_equal(it[0].alloc, 0);
    assert_int_equal(it[1].alloc, 300);
}

static void test_cut_ties_in_item_order(void **state)
{
    struct bd_fill_item it[3];
    (void)state;

    for (size_t i = 0; i < 3; i++)
        item(&it[i], 10, 110, 0, 1);
    assert_int_equal(bd_fill_cut(it, 3, 250, scratch), 200);
    assert_int_equal(it[0].alloc, 110);
    assert_int_equal(it[1].alloc, 110);
    assert_int_equal(it[2].alloc, 10);
}

/* ---- properties ------------------------------------------------------------
 */


static void random_items(struct bd_fill_item *it, size_t m, uint64_t *seed,
                         uint64_t size)
{
    for (size_t i = 0; i < m; i++) {
        uint64_t lo = rng(seed) % size;
        uint64_t alloc = lo + (rng(seed) % 4 ? 0 : rng(seed) % size);
        uint64_t cap = alloc + (rng(seed) % 8 ? rng(seed) % size : 0);
        /* few distinct weights and sizes: ties happen */
        uint64_t w = rng(seed) % 2 ? 1 + rng(seed) % 3 : 1 + rng(seed) % 10000;
        item(&it[i], alloc, cap, lo, w);
    }
}

static uint64_t wt(const struct bd_fill_item *x)
{
    return x->weight ? x->weight : 1;
}

/* Common to every fill: only rises, never above cap, returns what it
 * gave, never more than the budget. */
static uint64_t check_common(const struct bd_fill_item *before,
                             const struct bd_fill_item *after, size_t m,
                             uint64_t budget, uint64_t given)
{
    uint64_t sum = 0, room = 0;

    for (size_t i = 0; i < m; i++) {
        assert_true(after[i].alloc >= before[i].alloc);
        assert_true(after[i].alloc <= before[i].cap ||
                    after[i].alloc == before[i].alloc);
        assert_int_equal(after[i].cap, before[i].cap);
        sum += after[i].alloc - before[i].alloc;
        if (before[i].cap > before[i].alloc)
            room += before[i].cap - before[i].alloc;
    }
    assert_int_equal(sum, given);
    assert_true(given <= budget);
    return room;
}

/* What a fill may leave ungiven to rounding (fill.h): 1 KiB per item and
 * sum(weight) / 2^20 KiB. */
static uint64_t rounding(const struct bd_fill_item *b, size_t m)
{
    uint64_t wsum = 0;

    for (size_t i = 0; i < m; i++)
        wsum += wt(&b[i]);
    return m + (wsum >> 20) + 1;
}

/* Max-min: an item that stopped below its cap is at the level; nobody
 * got more per weight than that (rounding: 1 KiB + weight / 2^20). */
static void check_water(const struct bd_fill_item *b,
                        const struct bd_fill_item *a, size_t m, uint64_t budget,
                        uint64_t given, uint64_t room)
{
    assert_true(given + rounding(b, m) >= (budget < room ? budget : room));
    for (size_t j = 0; j < m; j++) {
        uint64_t gj = a[j].alloc - b[j].alloc + 2 + (wt(&b[j]) >> 20);
        if (a[j].alloc >= b[j].cap)
            continue;
        for (size_t i = 0; i < m; i++) {
            unsigned __int128 gi = a[i].alloc - b[i].alloc;
            assert_true(gi * wt(&b[j]) <= (unsigned __int128)gj * wt(&b[i]));
        }
    }
}

/* Max-min above lo: an item that rose and stopped below its cap is at the
 * level; every item that rose is at most there (rounding, and what was
 * taken back of it in item order). */
static void check_level(const struct bd_fill_item *b,
                        const struct bd_fill_item *a, size_t m, uint64_t budget,
                        uint64_t given, uint64_t room)
{
    assert_true(given + rounding(b, m) >= (budget < room ? budget : room));
    for (size_t j = 0; j < m; j++) {
        uint64_t hj = a[j].alloc - a[j].lo + m + 2 + (wt(&b[j]) >> 20);
        if (a[j].alloc >= b[j].cap || a[j].alloc == b[j].alloc)
            continue;
        for (size_t i = 0; i < m; i++) {
            unsigned __int128 hi = a[i].alloc - a[i].lo;
            if (a[i].alloc == b[i].alloc)
                continue;
            assert_true(hi * wt(&b[j]) <= (unsigned __int128)hj * wt(&b[i]));
        }
    }
}

static uint64_t room0(const struct bd_fill_item *x)
{
    return x->cap > x->alloc ? x->cap - x->alloc : 0;
}

/* room_i / w_i <= room_j / w_j, within the 2^-20 of the fixed-point keys */
static bool ratio_le(const struct bd_fill_item *i, const struct bd_fill_item *j)
{
    return ((unsigned __int128)room0(i) * wt(j) << 20) <=
           ((unsigned __int128)room0(j) * wt(i) << 20) +
               (unsigned __int128)wt(i) * wt(j);
}

/* Whole rooms or nothing; a granted item's room per weight is never above
 * a refused one's, and the first refused one would not have fitted. */
static void check_cut(const struct bd_fill_item *b,
                      const struct bd_fill_item *a, size_t m, uint64_t budget,
                      uint64_t given)
{
    size_t first = m; /* a refused item with the smallest room per weight */
    bool next_too_big = false;

    for (size_t i = 0; i < m; i++) {
        assert_true(a[i].alloc == b[i].alloc || a[i].alloc == b[i].cap);
        if (room0(&b[i]) == 0 || a[i].alloc == b[i].cap)
            continue;
        if (first == m || !ratio_le(&b[first], &b[i]))
            first = i;
    }
    for (size_t i = 0; i < m; i++) {
        if (room0(&b[i]) == 0)
            continue;
        if (a[i].alloc == b[i].cap)
            assert_true(first == m || ratio_le(&b[i], &b[first]));
        else if (ratio_le(&b[i], &b[first]))
            next_too_big |= given + room0(&b[i]) > budget;
    }
    assert_true(first == m || next_too_big);
}

static void check_one(fill_fn fn, int which, const struct bd_fill_item *b,
                      size_t m, uint64_t budget)
{
    struct bd_fill_item a[MAX_ITEMS], c[MAX_ITEMS];
    uint64_t given, room;

    memcpy(a, b, m * sizeof(*b));
    memcpy(c, b, m * sizeof(*b));
    given = fn(a, m, budget, scratch);
    /* deterministic: the same items give the same result */
    assert_int_equal(fn(c, m, budget, scratch), given);
    assert_memory_equal(a, c, m * sizeof(*a));
    room = check_common(b, a, m, budget, given);
    if (which == 0)
        check_water(b, a, m, budget, given, room);
    else if (which == 1)
        check_level(b, a, m, budget, given, room);
    else
        check_cut(b, a, m, budget, given);
}

static void test_properties_random(void **state)
{
    fill_fn fills[] = {bd_fill_water, bd_fill_level, bd_fill_cut};
    struct bd_fill_item b[MAX_ITEMS];
    uint64_t seed = 0xf111;
    (void)state;

    for (int round = 0; round < 600; round++) {
        /* a third large enough for the radix sort (48 and up) */
        size_t m = round % 3 ? 1 + rng(&seed) % 40 : 48 + rng(&seed) % 250;
        uint64_t size = round % 5 ? 1 + rng(&seed) % 100000 : 8;
        uint64_t room = 0, budget;

        random_items(b, m, &seed, size);
        for (size_t i = 0; i < m; i++)
            room += b[i].cap - b[i].alloc;
        budget = rng(&seed) % (room + room / 4 + 2);
        for (int k = 0; k < 3; k++)
            check_one(fills[k], k, b, m, budget);
    }
}

/* The largest sizes and weights the header allows do not overflow. */
static void test_largest_sizes(void **state)
{
    fill_fn fills[] = {bd_fill_water, bd_fill_level, bd_fill_cut};
    struct bd_fill_item b[MAX_ITEMS];
    uint64_t seed = 99;
    const size_t m = 256;
    (void)state;

    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < m; i++)
            item(&b[i], 0, BD_FILL_MAX_KIB / m, 0,
                 i % 2 ? BD_FILL_MAX_WEIGHT : 1 + rng(&seed) % 1000);
        check_one(fills[k], k, b, m, BD_FILL_MAX_KIB / 3);
        check_one(fills[k], k, b, m, BD_FILL_MAX_KIB);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_budget_above_room_fills_every_cap),
        cmocka_unit_test(test_zero_budget_changes_nothing),
        cmocka_unit_test(test_water_equal_weights_equal_grants),
        cmocka_unit_test(test_water_weights_and_caps),
        cmocka_unit_test(test_water_zero_weight_counts_as_one),
        cmocka_unit_test(test_water_rounds_down),
        cmocka_unit_test(test_level_above_level_keeps_its_own),
        cmocka_unit_test(test_level_counts_from_lo),
        cmocka_unit_test(test_level_caps),
        cmocka_unit_test(test_cut_longest_fitting_run),
        cmocka_unit_test(test_cut_orders_by_room_per_weight),
        cmocka_unit_test(test_cut_ties_in_item_order),
        cmocka_unit_test(test_properties_random),
        cmocka_unit_test(test_largest_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
