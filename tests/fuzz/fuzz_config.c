/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - balloond.conf (daemon/config/config.c) from any bytes.
 *
 * Invariants (config.h): an error always comes with messages, each of the
 * form "NAME:LINE: ..." with a line that exists; a config that loads has
 * every size and duration within the documented limits and every domain
 * rule with fixed sizes has min <= max.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/size.h"
#include "daemon/config/config.h"
#include "tests/fuzz/fuzz.h"

static void check_size(const struct bd_size *s)
{
    if (s->is_pct)
        FUZZ_CHECK(s->pct_x100 <= 10000);
    else
        FUZZ_CHECK(s->kib <= BD_SIZE_MAX_KIB);
}

static void check_errors(const char *errors, const uint8_t *data,
                         size_t size)
{
    unsigned lines = 1;

    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n')
            lines++;
    FUZZ_CHECK(errors && *errors);
    for (const char *p = errors; *p;) {
        const char *nl = strchr(p, '\n');
        unsigned long line;
        char *end;

        FUZZ_CHECK(nl);
        FUZZ_CHECK(strncmp(p, "f.conf:", 7) == 0);
        line = strtoul(p + 7, &end, 10);
        FUZZ_CHECK(*end == ':');
        FUZZ_CHECK(line <= lines);
        p = nl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bd_config *c = NULL;
    char *errors = NULL;
    int rc;

    rc = bd_config_load_mem("f.conf", (const char *)data, size, &c, &errors);
    if (rc) {
        FUZZ_CHECK(rc == -EINVAL);
        FUZZ_CHECK(!c);
        check_errors(errors, data, size);
        free(errors);
        return 0;
    }
    FUZZ_CHECK(!errors);
    check_size(&c->reserve);
    check_size(&c->default_min);
    FUZZ_CHECK(c->interval_ms <= BD_DURATION_MAX_MS);
    FUZZ_CHECK(c->external_hold_ms <= BD_DURATION_MAX_MS);
    FUZZ_CHECK(c->reserve_hold_ms <= BD_DURATION_MAX_MS);
    FUZZ_CHECK(c->dom0_min_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(c->dom0_max_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(!c->dom0_max_kib || c->dom0_min_kib <= c->dom0_max_kib);
    FUZZ_CHECK(c->policy.reserve_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(c->policy.stuck_retry_ms >= c->policy.stuck_timeout_ms);
    FUZZ_CHECK(c->default_weight >= 1 && c->default_weight <= 10000);
    for (size_t i = 0; i < c->n_rules; i++) {
        const struct bd_domain_rule *r = &c->rules[i];
        struct bd_dom_limits l;

        if (r->has_min)
            check_size(&r->min);
        if (r->has_max)
            check_size(&r->max);
        if (r->has_weight)
            FUZZ_CHECK(r->weight >= 1 && r->weight <= 10000);
        if (r->has_min && r->has_max && !r->min.is_pct && !r->max.is_pct)
            FUZZ_CHECK(r->min.kib <= r->max.kib);
        /* The effective limits of a domain the rule matches. */
        bd_config_limits(c, 1, r->glob, 4 * 1024 * 1024, &l);
        FUZZ_CHECK(l.min_kib <= l.max_kib);
        FUZZ_CHECK(l.max_kib <= 4 * 1024 * 1024);
    }
    bd_config_free(c);
    return 0;
}
