/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_daemon_metrics.c - the Prometheus text and the status line.
 *
 * Domain names come from the toolstack and may hold quotes, backslashes
 * or newlines: label values must be escaped so that one sample stays one
 * line.  Sizes are bytes; a guest without a report has no "used" sample;
 * counters end in _total; the text ends with "# EOF".  The metrics file is
 * replaced atomically.
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
#include "daemon/domains.h"
#include "daemon/metrics.h"
#include "tests/fake_host.h"

#define M (UINT64_C(1024))
#define G (UINT64_C(1024) * 1024)

static void test_render(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 3 * G);
    struct bd_config *cfg = calloc(1, sizeof(*cfg));
    struct bd_daemon d;
    bool kick = false;
    char *text, *p, line[512], path[64], *back = NULL;
    size_t n = 0;
    FILE *f;

    (void)state;
    bd_log_level = 2;
    assert_int_equal(bd_config_init(cfg), 0);
    fake_add(fh, 0, "Domain-0", 1 * G, 1 * G);
    fake_add(fh, 3, "we\"ird\\na\nme", 1 * G, 4 * G);
    fake_add(fh, 4, "quiet", 512 * M, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_domains_scan(&d, 1000), 0);
    fake_report(fh, 3, 1 * G, 600 * M, 1);
    bd_domain_find(&d, 3)->stats_dirty = true;
    bd_domains_process_dirty(&d, 1000, &kick);
    d.cnt.target_writes = 7;
    d.cnt.rebalances = 3;

    text = bd_metrics_render(&d);
    assert_non_null(text);
    /* Every line is a comment or "name{labels} value" / "name value". */
    for (p = text; *p; p = strchr(p, '\n') + 1) {
        size_t l = strcspn(p, "\n");
        assert_true(p[l] == '\n');
        assert_true(l < sizeof(line));
        memcpy(line, p, l);
        line[l] = '\0';
        if (line[0] == '#')
            continue;
        assert_non_null(strchr(line, ' '));
        assert_true(strncmp(line, "balloond_", 9) == 0);
    }
    assert_non_null(strstr(text,
        "balloond_domain_current_bytes{domid=\"3\",name=\"we\\\"ird\\\\na\\nme\"} 1073741824\n"));
    assert_non_null(strstr(text,
        "balloond_domain_used_bytes{domid=\"3\",name=\"we\\\"ird\\\\na\\nme\"} 444596224\n"));
    /* No report, no used sample. */
    assert_null(strstr(text, "balloond_domain_used_bytes{domid=\"4\""));
    assert_non_null(strstr(text, "balloond_domain_target_bytes{domid=\"4\",name=\"quiet\"} 536870912\n"));
    assert_non_null(strstr(text, "balloond_host_free_bytes 3221225472\n"));
    assert_non_null(strstr(text, "balloond_host_reserve_bytes 268435456\n"));
    assert_non_null(strstr(text, "balloond_target_writes_total 7\n"));
    assert_non_null(strstr(text, "balloond_rebalances_total 3\n"));
    assert_non_null(strstr(text, "balloond_domains_managed 2\n"));
    /* Prometheus text format (node_exporter's textfile collector): no
     * OpenMetrics "# EOF", and HELP and TYPE for every family. */
    assert_null(strstr(text, "# EOF"));
    assert_non_null(strstr(text, "# HELP balloond_rebalances_total "));
    assert_non_null(strstr(text, "# TYPE balloond_rebalances_total counter\n"));
    assert_non_null(strstr(text, "# HELP balloond_host_total_bytes "));
    assert_non_null(strstr(text, "balloond_build_info{version=\"" BD_VERSION
                                 "\"} 1\n"));
    assert_non_null(strstr(text, "balloond_domain_state{domid=\"4\","
                                 "name=\"quiet\",state=\"no-stats\"} 1\n"));
    assert_non_null(strstr(text, "balloond_warnings{kind=\"mins_unmet\"} 0\n"));
    assert_non_null(strstr(text, "balloond_last_rebalance_timestamp_seconds 0\n"));
    assert_non_null(strstr(text, "balloond_reservations 0\n"));
    for (p = text; (p = strstr(p, "# TYPE ")); p++) {
        char name[128];
        assert_int_equal(sscanf(p, "# TYPE %127s", name), 1);
        snprintf(line, sizeof(line), "# HELP %s ", name);
        assert_non_null(strstr(text, line));
    }

    /* The file gets the same text, and no temporary file is left. */
    snprintf(path, sizeof(path), "/tmp/bd-test-metrics-%d", (int)getpid());
    assert_int_equal(bd_metrics_write_file(&d, path), 0);
    f = fopen(path, "r");
    assert_non_null(f);
    n = 0;
    assert_true(getdelim(&back, &n, '\0', f) > 0);
    fclose(f);
    assert_string_equal(back, text);
    snprintf(line, sizeof(line), "%s.tmp", path);
    assert_int_not_equal(access(line, F_OK), 0);
    unlink(path);
    free(back);

    /* The status line: one line, the numbers an operator looks for. */
    bd_status_line(&d, line, sizeof(line));
    assert_null(strchr(line, '\n'));
    assert_non_null(strstr(line, "2 domains managed"));
    assert_non_null(strstr(line, "host free 3.00G"));
    d.reload_error = strdup("x.conf:3: interval: needs a unit");
    bd_status_line(&d, line, sizeof(line));
    assert_non_null(strstr(line, "reload failed: x.conf:3"));

    free(text);
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

/* The pressure sample is the policy's rule (bd_guest_pressure()): a
 * swap-in rate below the one the policy grows for is no pressure. */
static bool pressure_sample(struct bd_daemon *d, struct fake_host *fh,
                            uint64_t swapin_per_s, uint64_t seq)
{
    bool kick = false, on;
    char *text;

    fake_set_num(fh, 3, "data/balloon/swapin-rate", swapin_per_s);
    fake_report(fh, 3, 1 * G, 600 * M, seq);
    bd_domain_find(d, 3)->stats_dirty = true;
    bd_domains_process_dirty(d, 1000 + seq * 60000, &kick);
    text = bd_metrics_render(d);
    assert_non_null(text);
    on = strstr(text, "balloond_domain_pressure{domid=\"3\",name=\"vm\"} 1\n");
    assert_true(on || strstr(text, "balloond_domain_pressure{domid=\"3\",name=\"vm\"} 0\n"));
    free(text);
    return on;
}

static void test_pressure_is_the_policy_rule(void **state)
{
    struct fake_host *fh = fake_host_new(8 * G, 3 * G);
    struct bd_config *cfg = calloc(1, sizeof(*cfg));
    struct bd_daemon d;

    (void)state;
    bd_log_level = 2;
    assert_int_equal(bd_config_init(cfg), 0);
    fake_add(fh, 3, "vm", 1 * G, 4 * G);
    bd_daemon_init(&d, cfg, &fh->h);
    assert_int_equal(bd_domains_scan(&d, 1000), 0);
    assert_false(pressure_sample(&d, fh, 0, 1));
    assert_false(pressure_sample(&d, fh, 50, 2));
    assert_true(pressure_sample(&d, fh, 150, 3));
    bd_daemon_dispose(&d);
    bd_config_free(cfg);
    fake_host_free(fh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_pressure_is_the_policy_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
