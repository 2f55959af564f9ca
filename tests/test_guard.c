/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_guard.c - settings that cannot work (daemon/config/guard.c).
 *
 * Each case is one of issue 13's bad configurations: a [domain] section
 * an earlier pattern always wins over, a rule for Domain-0 without
 * manage-dom0, a reserve as large as the host, minimums that do not fit,
 * a min above a domain's max; and the cases that must stay quiet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/config/guard.h"

#define M (UINT64_C(1024))
#define G (UINT64_C(1024) * 1024)

static struct bd_config *load(const char *text)
{
    struct bd_config *c = NULL;
    char *errs = NULL;

    assert_int_equal(bd_config_load_string("t.conf", text, &c, &errs), 0);
    free(errs);
    return c;
}

static void test_glob_covers(void **state)
{
    (void)state;
    assert_true(bd_glob_covers("vm-*", "vm-a"));
    assert_true(bd_glob_covers("vm-*", "vm-a*"));
    assert_true(bd_glob_covers("vm-*", "vm-?"));
    assert_true(bd_glob_covers("*", "anything"));
    assert_true(bd_glob_covers("web", "web"));
    assert_false(bd_glob_covers("vm-a", "vm-*"));
    assert_false(bd_glob_covers("vm-*", "db-*"));
    /* ? matches the '*' character but not "ab": not sure, so no. */
    assert_false(bd_glob_covers("vm-?", "vm-*"));
    assert_false(bd_glob_covers("vm-[ab]", "vm-a"));
}

static void test_shadowed_rule(void **state)
{
    struct bd_config *c = load("[domain vm-*]\nweight = 200\n"
                               "[domain vm-a]\nmin = 1G\n"
                               "[domain db]\nmin = 1G\n");
    struct bd_warnings w = {.n = 0};

    (void)state;
    bd_guard_config(c, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.w[0].kind, BD_WARN_SHADOWED_RULE);
    assert_int_equal(w.w[0].line, 3);
    assert_false(w.w[0].fatal);
    assert_non_null(strstr(w.w[0].text, "[domain vm-a] is never used"));
    assert_non_null(strstr(w.w[0].text, "(line 1)"));
    bd_config_free(c);
}

static void test_specific_first_is_quiet(void **state)
{
    struct bd_config *c = load("[domain vm-a]\nmin = 1G\n"
                               "[domain vm-*]\nweight = 200\n");
    struct bd_warnings w = {.n = 0};

    (void)state;
    bd_guard_config(c, &w);
    assert_int_equal(w.n, 0);
    bd_config_free(c);
}

static void test_dom0_rule_without_manage(void **state)
{
    struct bd_config *c = load("[domain Domain-0]\nmin = 1G\n"
                               "[domain *]\nweight = 100\n");
    struct bd_warnings w = {.n = 0};

    (void)state;
    bd_guard_config(c, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.w[0].kind, BD_WARN_DOM0_RULE);
    assert_non_null(strstr(w.w[0].text, "manage-dom0 = yes"));
    bd_config_free(c);
    c = load("[host]\nmanage-dom0 = yes\n[domain Domain-0]\nmin = 1G\n");
    w.n = 0;
    bd_guard_config(c, &w);
    assert_int_equal(w.n, 0);
    bd_config_free(c);
}

static void test_reserve_whole_host(void **state)
{
    struct bd_config *c = load("[host]\nreserve = 100%\n");
    struct bd_warnings w = {.n = 0};
    const struct bd_warning *f = NULL;

    (void)state;
    bd_guard_config(c, &w);
    assert_true(bd_warnings_fatal(&w, &f));
    assert_int_equal(f->kind, BD_WARN_RESERVE_HOST);
    bd_config_free(c);

    /* reserve = 64G on an 8G host: only the host can tell. */
    w.n = 0;
    bd_guard_host(8 * G, 64 * G, NULL, 0, &w);
    assert_true(bd_warnings_fatal(&w, &f));
    assert_non_null(strstr(f->text, "reserve 64.00G is not below host "
                                    "memory 8.00G"));
    w.n = 0;
    bd_guard_host(8 * G, 1 * G, NULL, 0, &w);
    assert_int_equal(w.n, 0);
}

static void test_mins_unmet(void **state)
{
    const struct bd_guard_dom doms[] = {
        {.name = "a", .min_wanted_kib = 3 * G, .max_kib = 4 * G,
         .current_kib = 3 * G, .managed = true},
        {.name = "b", .min_wanted_kib = 3 * G, .max_kib = 4 * G,
         .current_kib = 3 * G, .managed = true},
        /* not managed: counts at what it holds */
        {.name = "Domain-0", .min_wanted_kib = 0, .max_kib = 8 * G,
         .current_kib = 2 * G, .managed = false},
    };
    struct bd_warnings w = {.n = 0};

    (void)state;
    bd_guard_host(8 * G, 512 * M, doms, 3, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.w[0].kind, BD_WARN_MINS_UNMET);
    assert_false(w.w[0].fatal);
    assert_non_null(strstr(w.w[0].text, "8.50G of host memory 8.00G"));
    w.n = 0;
    bd_guard_host(16 * G, 512 * M, doms, 3, &w);
    assert_int_equal(w.n, 0);
}

/* Minimums that fit, but not what the guests report they use: the reserve
 * would squeeze them below it (6G of 8G with guests using 1.3G each). */
static void test_use_unmet(void **state)
{
    const struct bd_guard_dom doms[] = {
        {.name = "a", .min_wanted_kib = 256 * M, .max_kib = 4 * G,
         .current_kib = 1 * G, .used_kib = 1331 * M, .managed = true},
        {.name = "b", .min_wanted_kib = 256 * M, .max_kib = 4 * G,
         .current_kib = 1 * G, .used_kib = 0, .managed = true},
        {.name = "Domain-0", .max_kib = 8 * G, .current_kib = 1 * G},
    };
    struct bd_warnings w = {.n = 0};

    (void)state;
    bd_guard_host(8 * G, 6 * G, doms, 3, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.w[0].kind, BD_WARN_USE_UNMET);
    assert_non_null(strstr(w.w[0].text, "below their use"));
    assert_non_null(strstr(w.w[0].text, "8.55G of host memory 8.00G"));
    w.n = 0;
    bd_guard_host(8 * G, 5 * G, doms, 3, &w);
    assert_int_equal(w.n, 0);
}

static void test_min_above_max(void **state)
{
    const struct bd_guard_dom doms[] = {
        {.name = "vm-c", .min_wanted_kib = 6 * G, .max_kib = 4 * G,
         .current_kib = 2 * G, .managed = true},
    };
    struct bd_warnings w = {.n = 0};

    (void)state;
    bd_guard_host(64 * G, 1 * G, doms, 1, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.w[0].kind, BD_WARN_MIN_ABOVE_MAX);
    assert_non_null(strstr(w.w[0].text, "domain vm-c: min 6.00G is above "
                                        "its max 4.00G"));
}

static void test_below_use(void **state)
{
    (void)state;
    assert_true(bd_guard_below_use(1 * M, 306 * M));
    assert_false(bd_guard_below_use(306 * M, 306 * M));
    assert_false(bd_guard_below_use(1 * M, 0)); /* use unknown */
}

static void test_kind_names(void **state)
{
    (void)state;
    for (int k = 0; k < BD_WARN__COUNT; k++)
        assert_non_null(bd_warn_kind_name((enum bd_warn_kind)k));
    assert_null(bd_warn_kind_name(BD_WARN__COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_covers),
        cmocka_unit_test(test_shadowed_rule),
        cmocka_unit_test(test_specific_first_is_quiet),
        cmocka_unit_test(test_dom0_rule_without_manage),
        cmocka_unit_test(test_reserve_whole_host),
        cmocka_unit_test(test_mins_unmet),
        cmocka_unit_test(test_use_unmet),
        cmocka_unit_test(test_min_above_max),
        cmocka_unit_test(test_below_use),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
