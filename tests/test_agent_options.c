/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_agent_options.c - balloon-agent command-line parsing.
 *
 * Good command lines give the documented values; every bad one is
 * refused with a message naming the option, never silently defaulted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/options.h"


static int parse(char **argv, struct bd_agent_options *o, char *err,
                 size_t errlen)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    return bd_agent_options_parse(argc, argv, o, err, errlen);
}

static void test_defaults(void **state)
{
    char *argv[] = { "balloon-agent", NULL };
    struct bd_agent_options o;
    char err[256];

    (void)state;
    assert_int_equal(parse(argv, &o, err, sizeof(err)), 0);
    assert_int_equal(o.action, BD_AGENT_RUN);
    assert_int_equal(o.interval_ms, 1000);
    assert_int_equal(o.report.heartbeat_ms, 60000);
    assert_int_equal(o.report.threshold_x100, 200);
    assert_string_equal(o.proc_dir, "/proc");
    assert_false(o.once);
    assert_false(o.foreground);
    assert_false(o.verbose);
    assert_string_equal(err, "");
}

static void test_all_options(void **state)
{
    char *argv[] = { "balloon-agent", "--interval", "250ms", "--heartbeat=2min",
                     "--threshold", "0.5%", "--proc", "/tmp/p", "-f", "-v",
                     "--once", NULL };
    char *argv2[] = { "balloon-agent", "--foreground", "--verbose",
                      "--threshold=12", NULL };
    struct bd_agent_options o;
    char err[256];

    (void)state;
    assert_int_equal(parse(argv, &o, err, sizeof(err)), 0);
    assert_int_equal(o.interval_ms, 250);
    assert_int_equal(o.report.heartbeat_ms, 120000);
    assert_int_equal(o.report.threshold_x100, 50);
    assert_string_equal(o.proc_dir, "/tmp/p");
    assert_true(o.foreground);
    assert_true(o.verbose);
    assert_true(o.once);
    /* Parsing twice works (getopt state is reset). */
    assert_int_equal(parse(argv2, &o, err, sizeof(err)), 0);
    assert_true(o.foreground);
    assert_true(o.verbose);
    assert_int_equal(o.report.threshold_x100, 1200);
    assert_int_equal(o.interval_ms, 1000);
}

static void test_help_version(void **state)
{
    char *h[] = { "balloon-agent", "--help", "--bogus", NULL };
    char *v[] = { "balloon-agent", "--version", NULL };
    char *hs[] = { "balloon-agent", "-h", NULL };
    struct bd_agent_options o;
    char err[256];

    (void)state;
    assert_int_equal(parse(h, &o, err, sizeof(err)), 0);
    assert_int_equal(o.action, BD_AGENT_HELP);
    assert_int_equal(parse(v, &o, err, sizeof(err)), 0);
    assert_int_equal(o.action, BD_AGENT_VERSION);
    assert_int_equal(parse(hs, &o, err, sizeof(err)), 0);
    assert_int_equal(o.action, BD_AGENT_HELP);
}

static void test_errors(void **state)
{
    static const struct {
        const char *args[4];
        const char *msg; /* substring of the error */
    } cases[] = {
        { { "--interval", "5" }, "--interval: '5': " },
        { { "--interval", "50ms" }, "between 100ms and 60s" },
        { { "--interval", "2min" }, "between 100ms and 60s" },
        { { "--interval", "-1s" }, "--interval" },
        { { "--interval", "" }, "--interval" },
        { { "--interval", "99999999999999h" }, "too long" },
        { { "--heartbeat", "500ms" }, "between 1000ms and 3600s" },
        { { "--heartbeat", "2h" }, "between 1000ms and 3600s" },
        { { "--heartbeat", "2s", "--interval", "5s" }, "shorter than" },
        { { "--threshold", "101" }, "--threshold: '101'" },
        { { "--threshold", "1.234" }, "--threshold" },
        { { "--threshold", "-1" }, "--threshold" },
        { { "--threshold", "5%%" }, "--threshold" },
        { { "--threshold", "." }, "--threshold" },
        { { "--threshold", "1." }, "--threshold" },
        { { "--threshold", "1000" }, "--threshold" },
        { { "--threshold", "" }, "--threshold" },
        { { "--proc", "" }, "--proc: empty" },
        { { "--interval" }, "--interval: needs an argument" },
        { { "--bogus" }, "--bogus: unknown option" },
        { { "-x" }, "-x: unknown option" },
        { { "--once=yes" }, "--once=yes: takes no value" },
        { { "extra" }, "'extra': unexpected argument" },
    };
    struct bd_agent_options o;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[6] = { "balloon-agent" };
        int argc = 1, rc;

        for (int j = 0; j < 4 && cases[i].args[j]; j++)
            argv[argc++] = (char *)cases[i].args[j];
        argv[argc] = NULL;
        rc = bd_agent_options_parse(argc, argv, &o, err, sizeof(err));
        if (rc != -EINVAL || !strstr(err, cases[i].msg))
            fail_msg("case %zu (%s): rc %d, err '%s', want '%s'", i,
                     cases[i].args[0], rc, err, cases[i].msg);
    }
    /* A short error buffer is still terminated. */
    {
        char *argv[] = { "balloon-agent", "--bogus", NULL };
        char small[4];

        assert_int_equal(parse(argv, &o, small, sizeof(small)), -EINVAL);
        assert_int_equal(strlen(small), 3);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_options),
        cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
