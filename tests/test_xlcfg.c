/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_xlcfg.c - reading xl domain configs (cli/xlcfg.c): the keys that
 * decide a start's memory need, overrides as xl create applies them, and
 * clear errors for configs xl would refuse.  The need itself is libxl's
 * (only on a dom0: tests/e2e s31).
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

#include "cli/xlcfg.h"

static char path[64];

static const char *cfg_file(const char *text)
{
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/test_xlcfg.%d.cfg", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_reads_need_keys(void **state)
{
    struct bctl_xlcfg c;
    char err[256];
    (void)state;

    assert_int_equal(bctl_xlcfg_read(cfg_file("name = \"web\"\n"
                                              "type = \"hvm\"\n"
                                              "memory = 1024\n"
                                              "maxmem = 2048\n"
                                              "vcpus = 2\nmaxvcpus = 4\n"
                                              "videoram = 16\n"
                                              "# a comment\n"
                                              "disk = [ 'phy:/dev/x,xvda,w' ]\n"),
                                     NULL, 0, &c, err, sizeof(err)),
                     0);
    assert_string_equal(c.name, "web");
    assert_int_equal(c.type, BCTL_XL_HVM);
    assert_int_equal(c.memory_kib, 1024 * 1024);
    assert_int_equal(c.maxmem_kib, 2048 * 1024);
    assert_int_equal(c.max_vcpus, 4);
    assert_int_equal(c.videoram_kib, 16 * 1024);
    unlink(path);
}

/* Defaults as xl's: PV, maxmem = memory, one vcpu; builder="hvm" is HVM. */
static void test_defaults(void **state)
{
    struct bctl_xlcfg c;
    char err[256];
    (void)state;

    assert_int_equal(bctl_xlcfg_read(cfg_file("name='a'\nmemory=256\n"), NULL,
                                     0, &c, err, sizeof(err)),
                     0);
    assert_int_equal(c.type, BCTL_XL_PV);
    assert_int_equal(c.maxmem_kib, 256 * 1024);
    assert_int_equal(c.max_vcpus, 1);
    assert_int_equal(bctl_xlcfg_read(cfg_file("name='a'\nmemory=256\n"
                                              "builder='hvm'\n"),
                                     NULL, 0, &c, err, sizeof(err)),
                     0);
    assert_int_equal(c.type, BCTL_XL_HVM);
    unlink(path);
}

/* KEY=VALUE after the file wins, as with xl create. */
static void test_overrides(void **state)
{
    char *ov[] = {"memory=512", "name=\"b\""};
    struct bctl_xlcfg c;
    char err[256];
    (void)state;

    assert_int_equal(bctl_xlcfg_read(cfg_file("name='a'\nmemory=256\n"), ov, 2,
                                     &c, err, sizeof(err)),
                     0);
    assert_int_equal(c.memory_kib, 512 * 1024);
    assert_string_equal(c.name, "b");
    unlink(path);
}

static void bad(const char *text, const char *msg)
{
    struct bctl_xlcfg c;
    char err[256] = "";

    assert_int_not_equal(bctl_xlcfg_read(cfg_file(text), NULL, 0, &c, err,
                                         sizeof(err)),
                         0);
    if (!strstr(err, msg))
        fail_msg("'%s': error '%s' lacks '%s'", text, err, msg);
    unlink(path);
}

static void test_errors(void **state)
{
    struct bctl_xlcfg c;
    char err[256];
    (void)state;

    bad("memory=256\n", "no name");
    bad("name='a'\n", "no memory");
    bad("name='a'\nmemory=-5\n", "not a valid xl config");
    bad("name='a'\nmemory='lots'\n", "not a size");
    bad("name='a'\nmemory=256\ntype='xen'\n", "not pv, pvh or hvm");
    bad("name='a'\nmemory=256\nvcpus=0\n", "vcpus");
    bad("name='a'\nmemory = [ 1 \n", "not a valid xl config");
    assert_int_not_equal(bctl_xlcfg_read("/nonexistent/x.cfg", NULL, 0, &c,
                                         err, sizeof(err)),
                         0);
    assert_non_null(strstr(err, "cannot read /nonexistent/x.cfg"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_need_keys),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
