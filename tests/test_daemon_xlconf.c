/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_daemon_xlconf.c - balloond's reading of xl's autoballoon rule.
 *
 * The decision must be exactly xl's (tools/xl/xl.c in Xen 4.17):
 * on/1 and off/0 in xl.conf decide; auto, anything else and no setting
 * mean "on unless the Xen command line has dom0_mem=".  The file is read
 * with xl's own parser, so quoting and comments behave as for xl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/base/log.h"
#include "daemon/daemon.h"
#include "daemon/host/xlconf.h"

static char path[64];

static int ab(const char *conf, const char *cmdline)
{
    const char *why = NULL;
    int r;

    if (conf) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(conf, f);
        fclose(f);
    } else
        unlink(path);
    r = bd_xl_autoballoon(path, cmdline, &why);
    assert_non_null(why);
    return r;
}

static void test_rules(void **state)
{
    const char *with = "placeholder dom0_mem=1024M,max:1024M loglvl=all";
    const char *without = "console=com1 loglvl=all";

    (void)state;
    snprintf(path, sizeof(path), "/tmp/bd-test-xlconf-%d", (int)getpid());
    /* No file: auto. */
    assert_int_equal(ab(NULL, with), 0);
    assert_int_equal(ab(NULL, without), 1);
    assert_int_equal(ab(NULL, NULL), 1);
    /* Explicit settings, quoted or not. */
    assert_int_equal(ab("autoballoon=\"off\"\n", without), 0);
    assert_int_equal(ab("autoballoon='off'\n", without), 0);
    assert_int_equal(ab("autoballoon=\"0\"\n", without), 0);
    assert_int_equal(ab("autoballoon=0\n", without), 0);
    assert_int_equal(ab("autoballoon=\"on\"\n", with), 1);
    assert_int_equal(ab("autoballoon=1\n", with), 1);
    /* auto and nonsense follow the command line. */
    assert_int_equal(ab("autoballoon=\"auto\"\n", with), 0);
    assert_int_equal(ab("autoballoon=\"auto\"\n", without), 1);
    assert_int_equal(ab("autoballoon=\"maybe\"\n", with), 0);
    assert_int_equal(ab("autoballoon=\"maybe\"\n", without), 1);
    /* Commented out is not set; other keys do not matter. */
    assert_int_equal(ab("#autoballoon=\"off\"\nlockfile=\"/x\"\n", without),
                     1);
    assert_int_equal(ab("lockfile=\"/x\"\nautoballoon=\"off\" # yes\n",
                        without), 0);
    /* xl's regular expression: a word of its own, digits and units. */
    assert_int_equal(ab(NULL, "dom0_mem=2G"), 0);
    assert_int_equal(ab(NULL, "a dom0_mem=min:512M,max:2G b"), 0);
    assert_int_equal(ab(NULL, "xdom0_mem=2G"), 1);
    assert_int_equal(ab(NULL, "dom0_mem=-2G"), 1);
    assert_int_equal(ab(NULL, "dom0_mem_foo=2G"), 1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
    };
    bd_log_level = 2;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
