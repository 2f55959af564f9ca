/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config.c - balloond.conf parsing: defaults, every accepted key, and
 * every error path with the exact "FILE:LINE: key: reason" it prints.  Also
 * that a failed parse leaves no object behind and that the shipped
 * conf/balloond.conf is valid.
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

#include "daemon/config/config.h"

#define MiB (UINT64_C(1024))
#define GiB (UINT64_C(1024) * 1024)

static struct bd_config *load_ok(const char *text)
{
    struct bd_config *c = NULL;
    char *err = NULL;
    int rc = bd_config_load_string("t.conf", text, &c, &err);

    if (rc)
        fprintf(stderr, "unexpected errors:\n%s", err ? err : "(none)\n");
    assert_int_equal(rc, 0);
    assert_null(err);
    assert_non_null(c);
    return c;
}

/* The text must fail, and its messages must contain every expected line
 * (each one whole: "t.conf:LINE: key: reason..."). */
static void load_bad(const char *text, const char *const *expect)
{
    struct bd_config *c = (struct bd_config *)0x1;
    char *err = NULL;
    int rc = bd_config_load_string("t.conf", text, &c, &err);

    assert_int_equal(rc, -EINVAL);
    assert_ptr_equal(c, (struct bd_config *)0x1); /* untouched */
    assert_non_null(err);
    for (; *expect; expect++) {
        if (!strstr(err, *expect)) {
            fprintf(stderr, "missing \"%s\" in:\n%s", *expect, err);
            fail();
        }
    }
    free(err);
}

#define BAD(text, ...)                                                      \
    do {                                                                    \
        const char *const exp_[] = {__VA_ARGS__, NULL};                     \
        load_bad(text, exp_);                                               \
    } while (0)

static void test_defaults(void **state)
{
    struct bd_config *c = load_ok("");
    struct bd_dom_limits l;

    (void)state;
    assert_false(c->reserve.is_pct);
    assert_int_equal(c->reserve.kib, 256 * MiB);
    assert_int_equal(c->interval_ms, 5000);
    assert_false(c->manage_dom0);
    assert_int_equal(c->default_weight, 100);
    assert_string_equal(c->socket_path, "/run/balloond/control");
    assert_null(c->socket_group);
    assert_null(c->metrics_path);
    assert_int_equal(c->n_rules, 0);
    assert_string_equal(c->path, "t.conf");
    assert_true(c->policy.stuck_retry_ms >= c->policy.stuck_timeout_ms);
    assert_true(c->policy.share_spare);

    /* dom0 is ignored unless manage-dom0 */
    bd_config_limits(c, 0, "Domain-0", 4 * GiB, &l);
    assert_int_equal(l.mode, BD_MODE_IGNORE);
    bd_config_limits(c, 3, "web1", 4 * GiB, &l);
    assert_int_equal(l.mode, BD_MODE_AUTO);
    assert_int_equal(l.min_kib, 128 * MiB);
    assert_int_equal(l.max_kib, 4 * GiB);
    assert_int_equal(l.weight, 100);
    bd_config_free(c);
}

static void test_full(void **state)
{
    struct bd_config *c = load_ok(
        "; a comment\n"
        "# another\n"
        "[host]\n"
        "reserve = 5%\n"
        "interval = 2s   ; inline comment\n"
        "manage-dom0 = yes\n"
        "dom0-min = 512M\n"
        "dom0-max = 2G\n"
        "\n"
        "[policy]\n"
        "headroom = 20%\n"
        "headroom-min = 32M\n"
        "hysteresis = 8M\n"
        "shrink-delay = 1min\n"
        "shrink-rate = 25%\n"
        "stuck-timeout = 20s\n"
        "stuck-retry = 2min\n"
        "stats-max-age = 3min\n"
        "progress = 2M\n"
        "share-spare = no\n"
        "default-min = 10%\n"
        "default-weight = 50\n"
        "external-hold = 0\n"
        "[control]\n"
        "socket = /tmp/bd.sock\n"
        "group = root\n"
        "allow-readonly = on\n"
        "state-file = /var/lib/x/state\n"
        "metrics-file = /var/lib/prometheus/node-exporter/balloond.prom\n"
        "reserve-hold = 30s\n"
        "[domain db-*]\n"
        "mode = fixed\n"
        "target = 4G\n"
        "[domain web*]\n"
        "min = 1G\n"
        "max = 75%\n"
        "weight = 300\n"
        "[domain Domain-0]\n"
        "min = 768M\n"
        "[domain *]\n"
        "weight = 10\n");
    struct bd_dom_limits l;

    (void)state;
    assert_true(c->reserve.is_pct);
    assert_int_equal(c->reserve.pct_x100, 500);
    assert_int_equal(c->interval_ms, 2000);
    assert_true(c->manage_dom0);
    assert_int_equal(c->dom0_min_kib, 512 * MiB);
    assert_int_equal(c->dom0_max_kib, 2 * GiB);
    assert_int_equal(c->policy.headroom_pct, 20);
    assert_int_equal(c->policy.headroom_min_kib, 32 * MiB);
    assert_int_equal(c->policy.hysteresis_kib, 8 * MiB);
    assert_int_equal(c->policy.shrink_delay_ms, 60000);
    assert_int_equal(c->policy.shrink_pct, 25);
    assert_int_equal(c->policy.stuck_timeout_ms, 20000);
    assert_int_equal(c->policy.stuck_retry_ms, 120000);
    assert_int_equal(c->policy.stats_max_age_ms, 180000);
    assert_int_equal(c->policy.progress_kib, 2 * MiB);
    assert_false(c->policy.share_spare);
    assert_int_equal(c->default_weight, 50);
    assert_int_equal(c->external_hold_ms, 0);
    assert_string_equal(c->socket_path, "/tmp/bd.sock");
    assert_string_equal(c->socket_group, "root");
    assert_true(c->allow_readonly);
    assert_string_equal(c->state_path, "/var/lib/x/state");
    assert_int_equal(c->reserve_hold_ms, 30000);
    assert_int_equal(c->n_rules, 4);

    /* first match wins, % of static-max, fallbacks from [policy] */
    bd_config_limits(c, 5, "web7", 8 * GiB, &l);
    assert_int_equal(l.min_kib, 1 * GiB);
    assert_int_equal(l.max_kib, 6 * GiB);
    assert_int_equal(l.weight, 300);
    assert_int_equal(l.mode, BD_MODE_AUTO);
    bd_config_limits(c, 6, "db-main", 8 * GiB, &l);
    assert_int_equal(l.mode, BD_MODE_FIXED);
    assert_int_equal(l.fixed_kib, 4 * GiB);
    assert_int_equal(l.min_kib, 8 * GiB / 10);
    bd_config_limits(c, 7, "other", 1 * GiB, &l);
    assert_int_equal(l.weight, 10);
    /* dom0: its own min from the rule, its max from dom0-max, managed */
    bd_config_limits(c, 0, "Domain-0", 4 * GiB, &l);
    assert_int_equal(l.min_kib, 768 * MiB);
    assert_int_equal(l.max_kib, 2 * GiB);
    assert_int_equal(l.mode, BD_MODE_AUTO);
    /* a min above a small static-max becomes the static-max */
    bd_config_limits(c, 8, "web-small", 512 * MiB, &l);
    assert_int_equal(l.max_kib, 384 * MiB);
    assert_int_equal(l.min_kib, 384 * MiB);
    bd_config_free(c);
}

static void test_dom0_stays_ignored(void **state)
{
    struct bd_config *c = load_ok("[domain *]\nmode = auto\n");
    struct bd_dom_limits l;

    (void)state;
    /* a catch-all rule does not make balloond manage dom0 by accident */
    bd_config_limits(c, 0, "Domain-0", 4 * GiB, &l);
    assert_int_equal(l.mode, BD_MODE_IGNORE);
    bd_config_free(c);
}

static void test_errors_structure(void **state)
{
    (void)state;
    BAD("[nosuch]\nfoo = 1\n",
        "t.conf:1: [nosuch]: unknown section (expected host, policy, control "
        "or domain NAME-GLOB)\n");
    BAD("[host]\nfrobnicate = 1\n", "t.conf:2: frobnicate: unknown key in [host]\n");
    BAD("[policy]\nreserve = 1G\n", "t.conf:2: reserve: unknown key in [policy]\n");
    BAD("[host]\ninterval = 5s\n\ninterval = 6s\n",
        "t.conf:4: interval: duplicate key (first set at line 2)\n");
    /* a repeated section merges, but a key twice in one is still a slip */
    BAD("[host]\n[host]\nreserve = 1G\nreserve = 2G\n",
        "t.conf:4: reserve: duplicate key (first set at line 3)\n");
    /* a pair that meets in a later block: pointed at that block */
    BAD("[domain a]\nmin = 2G\n[domain a]\nmax = 1G\n",
        "t.conf:4: max: max is below min (line 3)\n");
    BAD("[domain a]\nmode = fixed\ntarget = 0\n[domain a]\n",
        "t.conf:3: target: target must not be 0\n");
    BAD("[domain]\nmin = 1G\n", "t.conf:1: [domain]: a name pattern is expected");
    BAD("reserve = 1G\n", "t.conf:1: reserve: key outside of any section\n");
    BAD("[host\nreserve = 1G\n", "t.conf:1: [: section header without ']'\n");
    BAD("[host] x\n", "t.conf:1: [: junk after section header\n");
    BAD("[host]\nreserve\n", "t.conf:2: reserve: 'key = value' expected\n");
    BAD("[host]\nreserve =\n", "t.conf:2: reserve: empty value\n");
}

static void test_errors_values(void **state)
{
    (void)state;
    BAD("[host]\nreserve = 12\n",
        "t.conf:2: reserve: size needs a unit: K, M, G, T or P: \"12\"\n");
    BAD("[host]\nreserve = 1Q\n",
        "t.conf:2: reserve: unknown size unit (use K, M, G, T or P): \"1Q\"\n");
    BAD("[host]\nreserve = -1G\n", "t.conf:2: reserve: negative value: \"-1G\"\n");
    BAD("[host]\nreserve = 101%\n", "t.conf:2: reserve: percentage above 100%");
    BAD("[host]\nreserve = 99999999999G\n", "t.conf:2: reserve: value too large");
    BAD("[host]\ndom0-min = 10%\n",
        "t.conf:2: dom0-min: a percentage is not allowed here: \"10%\"\n");
    BAD("[host]\ninterval = 5\n",
        "t.conf:2: interval: duration needs a unit: ms, s, min or h: \"5\"\n");
    BAD("[host]\ninterval = 10ms\n",
        "t.conf:2: interval: must be at least 100ms: \"10ms\"\n");
    BAD("[host]\ninterval = 5 s\n", "t.conf:2: interval: unknown duration unit");
    BAD("[policy]\nshare-spare = sometimes\n",
        "t.conf:2: share-spare: yes or no expected: \"sometimes\"\n");
    BAD("[host]\nmanage-dom0 = maybe\n",
        "t.conf:2: manage-dom0: yes or no expected: \"maybe\"\n");
    BAD("[policy]\nheadroom = 15\n",
        "t.conf:2: headroom: size needs a unit");
    BAD("[policy]\nheadroom = 1G\n",
        "t.conf:2: headroom: a percentage is expected: \"1G\"\n");
    BAD("[policy]\nshrink-rate = 0%\n",
        "t.conf:2: shrink-rate: a whole percentage from 1% to 100% is expected");
    BAD("[policy]\nshrink-rate = 2.5%\n",
        "t.conf:2: shrink-rate: a whole percentage from 1% to 100%");
    BAD("[policy]\ndefault-weight = 0\n",
        "t.conf:2: default-weight: a weight from 1 to 10000 is expected "
        "(out of range): \"0\"\n");
    BAD("[policy]\ndefault-weight = 10001\n", "t.conf:2: default-weight: a weight");
    BAD("[policy]\ndefault-weight = ten\n", "t.conf:2: default-weight: a weight");
    BAD("[policy]\nstuck-timeout = 1min\nstuck-retry = 30s\n",
        "stuck-retry: must not be shorter than stuck-timeout\n");
    BAD("[host]\ndom0-min = 2G\ndom0-max = 1G\n",
        "t.conf:1: dom0-max: dom0-max is below dom0-min\n");
    BAD("[control]\nsocket = relative/path\n",
        "t.conf:2: socket: an absolute path is expected: \"relative/path\"\n");
    BAD("[control]\nsocket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        "t.conf:2: socket: path longer than 107 characters\n");
    BAD("[control]\ngroup = no-such-group-xyz\n",
        "t.conf:2: group: no such group: \"no-such-group-xyz\"\n");
}

static void test_errors_domain(void **state)
{
    (void)state;
    BAD("[domain web*]\nmin = 2G\nmax = 1G\n",
        "t.conf:3: max: max is below min (line 2)\n");
    BAD("[domain web*]\nmin = 50%\nmax = 25%\n",
        "t.conf:3: max: max is below min (line 2)\n");
    BAD("[domain web*]\nweight = 0\n", "t.conf:2: weight: a weight from 1 to 10000");
    BAD("[domain web*]\nmode = sometimes\n",
        "t.conf:2: mode: auto, fixed or ignore expected: \"sometimes\"\n");
    BAD("[domain web*]\ntarget = 1G\n",
        "t.conf:2: target: target is only used with mode = fixed\n");
    BAD("[domain web*]\nmode = fixed\nmin = 2G\ntarget = 1G\n",
        "t.conf:4: target: target is below min (line 3)\n");
    BAD("[domain web*]\nmode = fixed\nmax = 1G\ntarget = 2G\n",
        "t.conf:4: target: target is above max (line 3)\n");
    BAD("[domain web*]\nmode = fixed\ntarget = 10%\n",
        "t.conf:3: target: a percentage is not allowed here");
    BAD("[domain web*]\ncolour = blue\n",
        "t.conf:2: colour: unknown key in [domain web*]\n");
    BAD("[domain x]\nmin = 1G\nmin = 2G\n",
        "t.conf:3: min: duplicate key (first set at line 2)\n");
}

/* kernel-overhead: auto (the default: learned, else estimated by the
 * policy), a size, or % of the domain's static-max; in [policy] for every
 * domain, in [domain] for those it matches ("auto" there undoes the
 * [policy] figure). */
static void test_kernel_overhead(void **state)
{
    struct bd_config *c = load_ok("[policy]\nkernel-overhead = 96M\n"
                                  "[domain small*]\nkernel-overhead = 0\n"
                                  "[domain pct*]\nkernel-overhead = 5%\n"
                                  "[domain learn*]\nkernel-overhead = auto\n");
    struct bd_dom_limits l;
    (void)state;

    bd_config_limits(c, 7, "web", 2 * 1024 * 1024, &l);
    assert_true(l.has_overhead);
    assert_int_equal(l.overhead_kib, 96 * 1024);
    bd_config_limits(c, 7, "small-fw", 2 * 1024 * 1024, &l);
    assert_true(l.has_overhead);
    assert_int_equal(l.overhead_kib, 0);
    bd_config_limits(c, 7, "pct1", 2 * 1024 * 1024, &l);
    assert_true(l.has_overhead);
    assert_int_equal(l.overhead_kib, 2 * 1024 * 1024 / 20);
    bd_config_limits(c, 7, "learner", 2 * 1024 * 1024, &l);
    assert_false(l.has_overhead);
    bd_config_free(c);
    c = load_ok("");
    assert_true(c->kernel_overhead.is_auto);
    bd_config_limits(c, 7, "web", 2 * 1024 * 1024, &l);
    assert_false(l.has_overhead);
    bd_config_free(c);

    BAD("[policy]\nkernel-overhead = lots\n",
        "t.conf:2: kernel-overhead: auto or a size (64M, 2%) expected: ");
    BAD("[domain x]\nkernel-overhead = 64\n",
        "t.conf:2: kernel-overhead: auto or a size (64M, 2%) expected: size "
        "needs a unit");
    BAD("[domain x]\nkernel-overhead = 150%\n",
        "t.conf:2: kernel-overhead: auto or a size");
    BAD("[domain x]\nkernel-overhead = AUTO\n",
        "t.conf:2: kernel-overhead: auto or a size");
    BAD("[host]\nkernel-overhead = 64M\n",
        "t.conf:2: kernel-overhead: unknown key in [host]\n");
}

static void test_every_error_reported(void **state)
{
    (void)state;
    /* Several problems: all of them, each with its own line, in order. */
    BAD("[host]\n"
        "reserve = x\n"
        "bogus = 1\n"
        "[policy]\n"
        "hysteresis = 1\n"
        "[weird]\n"
        "a = b\n"
        "[domain q]\n"
        "weight = 99999\n",
        "t.conf:2: reserve:", "t.conf:3: bogus:", "t.conf:5: hysteresis:",
        "t.conf:6: [weird]:", "t.conf:9: weight:");
}

static void test_long_line_and_nul(void **state)
{
    char text[600];

    (void)state;
    snprintf(text, sizeof(text), "[host]\n; %0400d\nreserve = 2x\n", 7);
    BAD(text, "t.conf:2: line: longer than", "t.conf:3: reserve:");
}

/* Writes len bytes to a temporary file and loads it: the errors, or NULL
 * when it loaded. */
static char *load_file_bytes(const char *bytes, size_t len, char *path)
{
    struct bd_config *c = NULL;
    char *err = NULL;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    if (bd_config_load(path, &c, &err) == 0)
        bd_config_free(c);
    unlink(path);
    return err;
}

/* Regression (issue 14): a NUL byte in a file was never caught (strlen
 * after fgets): the rest of the line was dropped, and in a long physical
 * line the bytes past the buffer were parsed as a line of their own. */
static void test_nul_in_file(void **state)
{
    static const char shortline[] = "[host]\nreserve = 1G\0 junk\n"
                                    "interval = 5s\n";
    char path[] = "/tmp/bd-test-conf-XXXXXX";
    char longline[1024], want[128];
    char *err;
    size_t n;

    (void)state;
    err = load_file_bytes(shortline, sizeof(shortline) - 1, path);
    assert_non_null(err);
    snprintf(want, sizeof(want), "%s:2: line: contains a NUL byte\n", path);
    assert_string_equal(err, want);
    free(err);

    /* "; c" NUL, padding past inih's buffer, then what looks like a key:
     * one bad line 2, and line 3 is the next real line. */
    n = (size_t)snprintf(longline, sizeof(longline), "[host]\n; c");
    longline[n++] = '\0';
    memset(longline + n, 'x', 300);
    n += 300;
    n += (size_t)snprintf(longline + n, sizeof(longline) - n,
                          " reserve = 2x\nbogus = 1\n");
    strcpy(path, "/tmp/bd-test-conf-XXXXXX");
    err = load_file_bytes(longline, n, path);
    assert_non_null(err);
    snprintf(want, sizeof(want), "%s:2: line: contains a NUL byte\n%s:3: "
             "bogus: unknown key", path, path);
    if (strncmp(err, want, strlen(want)) != 0) {
        fprintf(stderr, "got:\n%s", err);
        fail();
    }
    assert_null(strstr(err, "reserve"));
    free(err);
}

/* The same through bd_config_load_mem() (what the fuzzer feeds). */
static void test_nul_in_mem(void **state)
{
    static const char text[] = "[host]\nreserve = 1G\0 x\ninterval = 5s\n";
    struct bd_config *c = NULL;
    char *err = NULL;

    (void)state;
    assert_int_equal(bd_config_load_mem("t.conf", text, sizeof(text) - 1, &c,
                                        &err), -EINVAL);
    assert_string_equal(err, "t.conf:2: line: contains a NUL byte\n");
    free(err);
    assert_int_equal(bd_config_load_mem("t.conf", text, 19, &c, &err), 0);
    assert_int_equal(c->reserve.kib, 1 * GiB);
    bd_config_free(c);
}

/* fnmatch(3) bracket expressions in [domain] patterns (issue 22): the
 * header ends at the last ']', a comment may follow. */
static void test_bracket_patterns(void **state)
{
    struct bd_config *c;
    struct bd_dom_limits l;
    (void)state;

    c = load_ok("[domain vm-[ab]] ; a and b\nmin = 256M\n"
                "[domain web[0-9]]\nmax = 1G\n[host] # see [policy]\n"
                "reserve = 1G\n");
    assert_int_equal(c->n_rules, 2);
    assert_string_equal(c->rules[0].glob, "vm-[ab]");
    bd_config_limits(c, 5, "vm-b", 4 * GiB, &l);
    assert_int_equal(l.min_kib, 256 * 1024);
    bd_config_limits(c, 6, "vm-c", 4 * GiB, &l);
    assert_int_equal(l.min_kib, 128 * 1024);
    bd_config_limits(c, 7, "web7", 4 * GiB, &l);
    assert_int_equal(l.max_kib, 1 * GiB);
    assert_int_equal(c->reserve.kib, 1 * GiB);
    bd_config_free(c);
    BAD("[domain vm-[ab]] x\n", "t.conf:1: [: junk after section header\n");
}

/* Appending a block, as admins and Ansible/Puppet/Salt do: repeated
 * sections merge, a later key wins; [domain GLOB] blocks too. */
static void test_repeated_sections_merge(void **state)
{
    struct bd_config *c;
    struct bd_dom_limits l;
    (void)state;

    c = load_ok("[policy]\nhysteresis = 64M\nheadroom = 15%\n[host]\n"
                "reserve = 1G\n[domain web-*]\nmin = 256M\n"
                "[policy]\nhysteresis = 16M\n[domain web-*]\nmax = 1G\n");
    assert_int_equal(c->policy.hysteresis_kib, 16 * 1024);
    assert_int_equal(c->policy.headroom_pct, 15);
    assert_int_equal(c->reserve.kib, 1 * GiB);
    assert_int_equal(c->n_rules, 1);
    bd_config_limits(c, 5, "web-1", 4 * GiB, &l);
    assert_int_equal(l.min_kib, 256 * 1024);
    assert_int_equal(l.max_kib, 1 * GiB);
    /* what --check-config prints: each key once, the value in force */
    assert_int_equal(c->n_set, 5);
    assert_string_equal(c->set[0].section, "policy");
    assert_string_equal(c->set[0].key, "hysteresis");
    assert_string_equal(c->set[0].value, "16M");
    assert_int_equal(c->set[0].line, 9);
    assert_string_equal(c->set[3].section, "domain web-*");
    bd_config_free(c);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* FILE.d/\*.conf after FILE in name order (other names skipped); one bad
 * drop-in refuses the whole load with its file and line; a directory, a
 * dangling link and an unreadable directory are one clear line each. */
static void test_dropins(void **state)
{
    char dir[] = "/tmp/bd-test-dropin-XXXXXX", main_p[128], d[160], p[200];
    struct bd_config *c = NULL;
    char *err = NULL;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(main_p, sizeof(main_p), "%s/balloond.conf", dir);
    snprintf(d, sizeof(d), "%s.d", main_p);
    write_file(main_p, "[policy]\nhysteresis = 64M\nshare-spare = yes\n");
    /* no drop-in directory: no error */
    assert_int_equal(bd_config_load(main_p, &c, &err), 0);
    assert_int_equal(c->n_files, 1);
    bd_config_free(c);
    assert_int_equal(mkdir(d, 0755), 0);
    snprintf(p, sizeof(p), "%s/20-b.conf", d);
    write_file(p, "[policy]\nhysteresis = 8M\n");
    snprintf(p, sizeof(p), "%s/10-a.conf", d);
    write_file(p, "[policy]\nhysteresis = 32M\nshare-spare = no\n");
    snprintf(p, sizeof(p), "%s/30-c.conf.dpkg-old", d);
    write_file(p, "[policy]\nhysteresis = 1G\n");
    snprintf(p, sizeof(p), "%s/.40-hidden.conf", d);
    write_file(p, "garbage\n");
    assert_int_equal(bd_config_load(main_p, &c, &err), 0);
    assert_int_equal(c->policy.hysteresis_kib, 8 * 1024);
    assert_false(c->policy.share_spare);
    assert_int_equal(c->n_files, 3);
    assert_string_equal(c->files[0], main_p);
    assert_non_null(strstr(c->files[1], "/10-a.conf"));
    assert_non_null(strstr(c->files[2], "/20-b.conf"));
    assert_non_null(strstr(c->files[c->set[0].file], "/20-b.conf"));
    bd_config_free(c);

    /* a bad drop-in: everything refused, its file and line named */
    snprintf(p, sizeof(p), "%s/50-bad.conf", d);
    write_file(p, "[policy]\n\nhysteresis = lots\n");
    c = NULL;
    assert_int_equal(bd_config_load(main_p, &c, &err), -EINVAL);
    assert_null(c);
    assert_non_null(strstr(err, "/50-bad.conf:3: hysteresis:"));
    free(err);
    unlink(p);

    /* a directory and a dangling link named *.conf */
    snprintf(p, sizeof(p), "%s/60-dir.conf", d);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(bd_config_load(main_p, &c, &err), -EINVAL);
    assert_non_null(strstr(err, "/60-dir.conf: file: a directory"));
    assert_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
    free(err);
    rmdir(p);
    assert_int_equal(symlink("/nonexistent/x.conf", p), 0);
    assert_int_equal(bd_config_load(main_p, &c, &err), -EINVAL);
    assert_non_null(strstr(err, "/60-dir.conf: file: cannot open: No such "
                                "file or directory (a dangling link?)"));
    free(err);
    unlink(p);

    /* an unreadable drop-in directory (root reads it anyway) */
    if (geteuid() != 0) {
        assert_int_equal(chmod(d, 0), 0);
        assert_int_equal(bd_config_load(main_p, &c, &err), -EINVAL);
        assert_non_null(strstr(err, "balloond.conf.d: directory: cannot be "
                                    "read: Permission denied"));
        free(err);
        chmod(d, 0755);
    }
    snprintf(p, sizeof(p), "%s/10-a.conf", d);
    unlink(p);
    snprintf(p, sizeof(p), "%s/20-b.conf", d);
    unlink(p);
    snprintf(p, sizeof(p), "%s/30-c.conf.dpkg-old", d);
    unlink(p);
    snprintf(p, sizeof(p), "%s/.40-hidden.conf", d);
    unlink(p);
    assert_int_equal(rmdir(d), 0);
    unlink(main_p);
    assert_int_equal(rmdir(dir), 0);
}

static void test_file(void **state)
{
    char path[] = "/tmp/bd-test-conf-XXXXXX";
    struct bd_config *c = NULL;
    char *err = NULL;
    int fd = mkstemp(path);
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("[host]\nreserve = 1G\n[domain vm*]\nmin = 1G\nmax = 512M\n", f);
    fclose(f);
    assert_int_equal(bd_config_load(path, &c, &err), -EINVAL);
    assert_non_null(err);
    {
        char want[128];

        snprintf(want, sizeof(want), "%s:5: max: max is below min (line 4)\n",
                 path);
        assert_string_equal(err, want);
    }
    free(err);
    err = NULL;
    unlink(path);
    assert_int_equal(bd_config_load(path, &c, &err), -ENOENT);
    assert_non_null(strstr(err, "cannot open: No such file or directory"));
    free(err);
}

static void test_shipped_config(void **state)
{
    struct bd_config *c = NULL;
    char *err = NULL;
    int rc;

    (void)state;
    rc = bd_config_load("conf/balloond.conf", &c, &err);
    if (rc)
        fprintf(stderr, "%s", err ? err : "?");
    assert_int_equal(rc, 0);
    bd_config_free(c);
}

/* The old object stays valid while and after a new one fails to parse. */
static void test_reload_keeps_old(void **state)
{
    struct bd_config *old = load_ok("[host]\nreserve = 1G\n");
    struct bd_config *c = old;
    char *err = NULL;

    (void)state;
    assert_int_equal(bd_config_load_string("t.conf", "[host]\nreserve = ?\n",
                                           &c, &err), -EINVAL);
    assert_ptr_equal(c, old);
    assert_int_equal(old->reserve.kib, 1 * GiB);
    free(err);
    bd_config_free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_dom0_stays_ignored),
        cmocka_unit_test(test_errors_structure),
        cmocka_unit_test(test_errors_values),
        cmocka_unit_test(test_errors_domain),
        cmocka_unit_test(test_kernel_overhead),
        cmocka_unit_test(test_every_error_reported),
        cmocka_unit_test(test_long_line_and_nul),
        cmocka_unit_test(test_nul_in_file),
        cmocka_unit_test(test_nul_in_mem),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_repeated_sections_merge),
        cmocka_unit_test(test_bracket_patterns),
        cmocka_unit_test(test_dropins),
        cmocka_unit_test(test_shipped_config),
        cmocka_unit_test(test_reload_keeps_old),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
