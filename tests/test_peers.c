/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_peers.c - the other balloon managers balloond refuses to run beside
 * without --force (daemon/host/peers.c): libvirt's libxl autoballoon, as
 * libvirt decides it, and a running squeezed or qmemman, found in a /proc
 * made here.
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

#include "daemon/host/peers.h"

static char dir[64];

static void put(const char *rel, const char *bytes, size_t len)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void sub(const char *rel)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bd-test-peers-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_libvirt_autoballoon(void **state)
{
    char path[128];
    const char *why = "";
    (void)state;

    snprintf(path, sizeof(path), "%s/libxl.conf", dir);
    unlink(path);
    assert_int_equal(bd_libvirt_autoballoon(path, NULL, &why), -ENOENT);
    put("libxl.conf", "# autoballoon = 0\nkeepalive_interval = 5\n", 41);
    /* unset: on, unless the Xen command line sets dom0_mem */
    assert_int_equal(bd_libvirt_autoballoon(path, "console=com1", &why), 1);
    assert_non_null(strstr(why, "unset"));
    assert_int_equal(bd_libvirt_autoballoon(path, NULL, &why), 1);
    assert_int_equal(bd_libvirt_autoballoon(path, "dom0_mem=1024M,max:1024M",
                                            &why), 0);
    put("libxl.conf", "autoballoon = 0\n", 16);
    assert_int_equal(bd_libvirt_autoballoon(path, NULL, &why), 0);
    assert_string_equal(why, "autoballoon = 0 in libvirt's libxl.conf");
    put("libxl.conf", "autoballoon = 1 # on\n", 21);
    assert_int_equal(bd_libvirt_autoballoon(path, "dom0_mem=1G", &why), 1);
    /* not libxlutil's syntax: the default, as libvirt would not parse it */
    put("libxl.conf", "autoballoon = [\n", 16);
    assert_int_equal(bd_libvirt_autoballoon(path, "dom0_mem=1G", &why), 0);
}

static void test_peer_running(void **state)
{
    char proc[128], what[128] = "";
    (void)state;

    sub("proc");
    snprintf(proc, sizeof(proc), "%s/proc", dir);
    assert_int_equal(bd_peer_running(proc, what, sizeof(what)), 0);
    sub("proc/1");
    put("proc/1/comm", "systemd\n", 8);
    put("proc/1/cmdline", "/sbin/init\0", 11);
    sub("proc/self");
    put("proc/self/comm", "squeezed\n", 9); /* not a pid: skipped */
    sub("proc/77"); /* ended while read: nothing in it */
    assert_int_equal(bd_peer_running(proc, what, sizeof(what)), 0);
    /* Qubes: qmemmand is a python script */
    sub("proc/900");
    put("proc/900/comm", "qmemmand\n", 9);
    put("proc/900/cmdline", "/usr/bin/python3\0/usr/bin/qmemmand\0", 35);
    assert_int_equal(bd_peer_running(proc, what, sizeof(what)), 1);
    assert_string_equal(what, "qmemmand (pid 900)");
    put("proc/900/comm", "python3\n", 8);
    assert_int_equal(bd_peer_running(proc, what, sizeof(what)), 1);
    put("proc/900/cmdline", "python3\0/usr/lib/x/other.py\0", 28);
    assert_int_equal(bd_peer_running(proc, what, sizeof(what)), 0);
    /* XenServer, XCP-ng: the squeezed binary */
    sub("proc/4242");
    put("proc/4242/comm", "squeezed\n", 9);
    assert_int_equal(bd_peer_running(proc, what, sizeof(what)), 1);
    assert_string_equal(what, "squeezed (pid 4242)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libvirt_autoballoon),
        cmocka_unit_test(test_peer_running),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
