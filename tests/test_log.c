/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_log.c - log lines (daemon/base/log.c): a line about a domain
 * reaches the sink (the journal, in the daemon) with its event, name and
 * domid; control characters never split a line; a failing sink falls back
 * to stderr with the "<N>" prefix, so nothing is lost.
 */
#include <errno.h>
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

static struct {
    int prio, calls, fail;
    char event[32], name[64], line[1100];
    unsigned domid;
} got;

static int sink(int prio, const struct bd_log_about *about, const char *line)
{
    got.calls++;
    got.prio = prio;
    snprintf(got.event, sizeof(got.event), "%s",
             about && about->event ? about->event : "");
    snprintf(got.name, sizeof(got.name), "%s",
             about && about->name ? about->name : "");
    got.domid = about ? about->domid : 0;
    snprintf(got.line, sizeof(got.line), "%s", line);
    return got.fail;
}

/* stderr into a pipe while fn runs; what was written, NUL-terminated. */
static void capture_stderr(void (*fn)(void), char *buf, size_t len)
{
    int p[2], saved = dup(STDERR_FILENO);
    ssize_t n;

    assert_int_equal(pipe(p), 0);
    dup2(p[1], STDERR_FILENO);
    close(p[1]);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    n = read(p[0], buf, len - 1);
    close(p[0]);
    buf[n > 0 ? n : 0] = '\0';
}

static void log_target(void)
{
    bd_log_dom(6, BD_ABOUT(BD_EV_TARGET, "web1", 7),
               "domain %s (%u): target 1.00G -> 2.00G", "web1", 7u);
}

static void test_sink_gets_fields(void **state)
{
    char err[256];
    (void)state;

    memset(&got, 0, sizeof(got));
    bd_log_sink = sink;
    capture_stderr(log_target, err, sizeof(err));
    assert_int_equal(got.calls, 1);
    assert_int_equal(got.prio, 6);
    assert_string_equal(got.event, "target");
    assert_string_equal(got.name, "web1");
    assert_int_equal(got.domid, 7);
    assert_string_equal(got.line, "domain web1 (7): target 1.00G -> 2.00G");
    assert_string_equal(err, ""); /* not twice */
    /* a hostile name with a newline stays one line */
    bd_log_dom(4, BD_ABOUT(BD_EV_REPORT, "evil\nname", 9), "domain %s",
               "evil\nname");
    assert_string_equal(got.line, "domain evil?name");
    /* a plain line has no domain */
    bd_log(3, "reload failed");
    assert_string_equal(got.name, "");
    assert_int_equal(got.prio, 3);
    bd_log_sink = NULL;
}

static void test_failing_sink_falls_back(void **state)
{
    char err[256];
    (void)state;

    memset(&got, 0, sizeof(got));
    got.fail = -EIO;
    bd_log_sink = sink;
    capture_stderr(log_target, err, sizeof(err));
    bd_log_sink = NULL;
    assert_int_equal(got.calls, 1);
    assert_string_equal(err, "<6>domain web1 (7): target 1.00G -> 2.00G\n");
    /* no sink: stderr as ever (a pipe: with the prefix) */
    capture_stderr(log_target, err, sizeof(err));
    assert_string_equal(err, "<6>domain web1 (7): target 1.00G -> 2.00G\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sink_gets_fields),
        cmocka_unit_test(test_failing_sink_falls_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
