/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_size.c - sizes, percentages, durations and whole numbers: the
 * accepted forms, and every way to get one wrong (empty, negative, junk,
 * missing or unknown unit, overflow, inexact fractions).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/size.h"

static uint64_t size_ok(const char *s)
{
    const char *why = NULL;
    uint64_t kib = 12345;

    assert_int_equal(bd_parse_size_kib(s, &kib, &why), 0);
    return kib;
}

static void size_bad(const char *s, int err, const char *why_part)
{
    const char *why = NULL;
    uint64_t kib = 777;

    assert_int_equal(bd_parse_size_kib(s, &kib, &why), err);
    assert_non_null(why);
    assert_non_null(strstr(why, why_part));
    assert_int_equal(kib, 777); /* output untouched on error */
}

static void test_size_units(void **state)
{
    (void)state;
    assert_int_equal(size_ok("0"), 0);
    assert_int_equal(size_ok("64K"), 64);
    assert_int_equal(size_ok("64k"), 64);
    assert_int_equal(size_ok("512M"), 512 * 1024);
    assert_int_equal(size_ok("512MiB"), 512 * 1024);
    assert_int_equal(size_ok("512MB"), 512 * 1024);
    assert_int_equal(size_ok("2G"), UINT64_C(2) << 20);
    assert_int_equal(size_ok("1.5G"), UINT64_C(3) << 19);
    assert_int_equal(size_ok("0.5M"), 512);
    assert_int_equal(size_ok("1T"), UINT64_C(1) << 30);
    assert_int_equal(size_ok("1024T"), BD_SIZE_MAX_KIB);
}

static void test_size_errors(void **state)
{
    (void)state;
    size_bad("", -EINVAL, "empty");
    size_bad(NULL, -EINVAL, "empty");
    size_bad("-1G", -EINVAL, "negative");
    size_bad("G", -EINVAL, "not a number");
    size_bad(" 1G", -EINVAL, "not a number");
    size_bad("512", -EINVAL, "needs a unit");
    size_bad("1X", -EINVAL, "unknown size unit");
    size_bad("1G ", -EINVAL, "unknown size unit");
    size_bad("1Gx", -EINVAL, "unknown size unit");
    size_bad("1.G", -EINVAL, "digit expected");
    size_bad("0.3K", -EINVAL, "whole number of KiB");
    size_bad("1.0000001P", -EINVAL, "decimals");
    size_bad("1.01P", -ERANGE, "too large");
    size_bad("1025T", -ERANGE, "too large");
    size_bad("99999999999999999999K", -ERANGE, "too large");
    size_bad("1.0000000001G", -EINVAL, "decimals");
    size_bad("5%", -EINVAL, "unknown size unit");
}

/* What bd_format_kib() prints, the parser takes back: "1.32G" and
 * "1.00P" as show prints them, within half the last digit shown. */
static void test_size_round_trip(void **state)
{
    char buf[32];
    uint64_t v, back;
    const char *why = NULL;

    (void)state;
    assert_int_equal(size_ok("1.32G"), 1384120); /* 1.32 * 2^20, rounded */
    assert_int_equal(size_ok("1.00P"), BD_SIZE_MAX_KIB);
    assert_int_equal(size_ok("1P"), BD_SIZE_MAX_KIB);
    assert_int_equal(size_ok("0.5T"), UINT64_C(1) << 29);
    for (v = 1; v <= BD_SIZE_MAX_KIB; v = v * 3 + 7) {
        bd_format_kib(v, buf, sizeof(buf));
        assert_int_equal(bd_parse_size_kib(buf, &back, &why), 0);
        /* within half a unit of the last digit printed (rounded) */
        assert_true(back <= v + v / 200 + 1 && back + v / 200 + 1 >= v);
    }
    bd_format_kib(BD_SIZE_MAX_KIB, buf, sizeof(buf));
    assert_string_equal(buf, "1.00P");
}

static void test_size_pct(void **state)
{
    struct bd_size s;
    const char *why = NULL;

    (void)state;
    assert_int_equal(bd_parse_size("25%", true, &s, &why), 0);
    assert_true(s.is_pct);
    assert_int_equal(s.pct_x100, 2500);
    assert_int_equal(bd_size_resolve(&s, 4096), 1024);
    assert_int_equal(bd_parse_size("12.5%", true, &s, &why), 0);
    assert_int_equal(s.pct_x100, 1250);
    assert_int_equal(bd_parse_size("100%", true, &s, &why), 0);
    assert_int_equal(bd_size_resolve(&s, 777), 777);
    assert_int_equal(bd_parse_size("1G", true, &s, &why), 0);
    assert_false(s.is_pct);
    assert_int_equal(bd_size_resolve(&s, 0), 1 << 20);

    assert_int_equal(bd_parse_size("101%", true, &s, &why), -ERANGE);
    assert_non_null(strstr(why, "above 100%"));
    assert_int_equal(bd_parse_size("25%", false, &s, &why), -EINVAL);
    assert_non_null(strstr(why, "not allowed"));
    assert_int_equal(bd_parse_size("25%x", true, &s, &why), -EINVAL);
    assert_int_equal(bd_parse_size("12.345%", true, &s, &why), -EINVAL);
    assert_int_equal(bd_parse_size("-5%", true, &s, &why), -EINVAL);
    /* A huge base is capped rather than overflowing. */
    assert_int_equal(bd_parse_size("100%", true, &s, &why), 0);
    assert_int_equal(bd_size_resolve(&s, UINT64_MAX), BD_SIZE_MAX_KIB);
}

static void test_duration(void **state)
{
    uint64_t ms = 0;
    const char *why = NULL;

    (void)state;
    assert_int_equal(bd_parse_duration_ms("250ms", &ms, &why), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(bd_parse_duration_ms("5s", &ms, &why), 0);
    assert_int_equal(ms, 5000);
    assert_int_equal(bd_parse_duration_ms("1.5s", &ms, &why), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(bd_parse_duration_ms("2min", &ms, &why), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(bd_parse_duration_ms("1h", &ms, &why), 0);
    assert_int_equal(ms, 3600000);
    assert_int_equal(bd_parse_duration_ms("0", &ms, &why), 0);
    assert_int_equal(ms, 0);

    assert_int_equal(bd_parse_duration_ms("5", &ms, &why), -EINVAL);
    assert_non_null(strstr(why, "needs a unit"));
    assert_int_equal(bd_parse_duration_ms("5m", &ms, &why), -EINVAL);
    assert_non_null(strstr(why, "unknown duration unit"));
    assert_int_equal(bd_parse_duration_ms("-5s", &ms, &why), -EINVAL);
    assert_int_equal(bd_parse_duration_ms("", &ms, &why), -EINVAL);
    assert_int_equal(bd_parse_duration_ms("0.5ms", &ms, &why), -EINVAL);
    assert_int_equal(bd_parse_duration_ms("31d", &ms, &why), -EINVAL);
    assert_int_equal(bd_parse_duration_ms("721h", &ms, &why), -ERANGE);
    assert_int_equal(bd_parse_duration_ms("999999999999999999h", &ms, &why),
                     -ERANGE);
}

static void test_uint(void **state)
{
    uint64_t v = 0;
    const char *why = NULL;

    (void)state;
    assert_int_equal(bd_parse_uint("100", 1, 10000, &v, &why), 0);
    assert_int_equal(v, 100);
    assert_int_equal(bd_parse_uint("0", 1, 10000, &v, &why), -ERANGE);
    assert_int_equal(bd_parse_uint("10001", 1, 10000, &v, &why), -ERANGE);
    assert_int_equal(bd_parse_uint("1.5", 1, 10000, &v, &why), -EINVAL);
    assert_int_equal(bd_parse_uint("12ab", 1, 10000, &v, &why), -EINVAL);
    assert_int_equal(bd_parse_uint("+5", 1, 10000, &v, &why), -EINVAL);
    assert_int_equal(bd_parse_uint("-5", 1, 10000, &v, &why), -EINVAL);
}

static void test_format(void **state)
{
    char buf[16];

    (void)state;
    assert_string_equal(bd_format_kib(0, buf, sizeof(buf)), "0K");
    assert_string_equal(bd_format_kib(1023, buf, sizeof(buf)), "1023K");
    assert_string_equal(bd_format_kib(1024, buf, sizeof(buf)), "1.00M");
    assert_string_equal(bd_format_kib(1536, buf, sizeof(buf)), "1.50M");
    /* Rounded to nearest, not truncated: 1.2 GiB is 1.20G, not 1.19G. */
    assert_string_equal(bd_format_kib(1258291, buf, sizeof(buf)), "1.20G");
    assert_string_equal(bd_format_kib(1024 + 5, buf, sizeof(buf)), "1.00M");
    assert_string_equal(bd_format_kib(1024 + 6, buf, sizeof(buf)), "1.01M");
    assert_string_equal(bd_format_kib(102399, buf, sizeof(buf)), "100M");
    assert_string_equal(bd_format_kib(512 * 1024, buf, sizeof(buf)), "512M");
    assert_string_equal(bd_format_kib(UINT64_C(3) << 19, buf, sizeof(buf)),
                        "1.50G");
    assert_string_equal(bd_format_kib(UINT64_C(1) << 40, buf, sizeof(buf)),
                        "1.00P");
    /* Never overflows a short buffer. */
    assert_string_equal(bd_format_kib(512 * 1024, buf, 3), "51");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_units), cmocka_unit_test(test_size_errors),
        cmocka_unit_test(test_size_round_trip),
        cmocka_unit_test(test_size_pct),   cmocka_unit_test(test_duration),
        cmocka_unit_test(test_uint),       cmocka_unit_test(test_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
