/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_state.c - balloond's state file (daemon/state.c) from any bytes.
 *
 * The input is written to a file (bd_state_load() reads a path) in a
 * private directory, under /dev/shm when there is one so that the fsyncs
 * of the save cost nothing.
 *
 * Invariants (state.c): a file that loads gives at most one domain's
 * worth of overrides per (domid, name) once applied; every value is in
 * range; and saving the domains it restored and loading that file again
 * gives the same state (pins, runtime limits, holds and their ends);
 * reservations restored are granted, at most BD_MAX_RESERVATIONS with
 * unique ids, each held no longer than reserve-hold, and saved and loaded
 * again they are the same (ids and sizes).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/size.h"
#include "daemon/base/log.h"
#include "daemon/config/config.h"
#include "daemon/daemon.h"
#include "daemon/state.h"
#include "tests/fuzz/fuzz.h"

static char dir[64], path[96], path2[96];

static void cleanup(void)
{
    unlink(path);
    unlink(path2);
    rmdir(dir);
}

static void setup_once(void)
{
    if (dir[0])
        return;
    snprintf(dir, sizeof(dir), "%s/bd-fuzz-state-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    FUZZ_CHECK(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/in", dir);
    snprintf(path2, sizeof(path2), "%s/out", dir);
    bd_log_level = 0; /* every input is "corrupt": keep the log quiet */
    atexit(cleanup);
}

static void write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");

    FUZZ_CHECK(f);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);
}

static bool has_state(const struct bd_domain *dom)
{
    const struct bd_override *o = &dom->ovr;
    return dom->pin_kib || dom->hold_kib || o->has_min || o->has_max ||
           o->has_weight || o->has_mode;
}

static void check_entry(const struct bd_state_entry *e)
{
    FUZZ_CHECK(e->domid <= 0x7fef);
    FUZZ_CHECK(e->name[0]);
    FUZZ_CHECK(e->pin_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(e->hold_kib <= BD_SIZE_MAX_KIB);
    FUZZ_CHECK(e->hold_until_wall >= 0);
    FUZZ_CHECK(!e->ovr.has_weight ||
               (e->ovr.weight >= 1 && e->ovr.weight <= 10000));
    FUZZ_CHECK(!(e->ovr.has_min && e->ovr.has_max) ||
               e->ovr.min_kib <= e->ovr.max_kib);
}

/* The saved file holds exactly dom's state. */
static void check_saved(const struct bd_daemon *d2,
                        const struct bd_domain *dom)
{
    const struct bd_state_entry *e = NULL;
    const struct bd_override *a = &dom->ovr, *b;

    for (size_t i = 0; i < d2->n_pending; i++) {
        if (d2->pending[i].domid == dom->domid) {
            FUZZ_CHECK(!e); /* once */
            e = &d2->pending[i];
        }
    }
    if (!has_state(dom)) {
        FUZZ_CHECK(!e);
        return;
    }
    FUZZ_CHECK(e);
    b = &e->ovr;
    FUZZ_CHECK(strcmp(e->name, dom->name) == 0);
    FUZZ_CHECK(e->pin_kib == dom->pin_kib);
    FUZZ_CHECK(e->hold_kib == dom->hold_kib);
    FUZZ_CHECK(!dom->hold_kib || e->hold_until_wall == dom->hold_until_wall);
    FUZZ_CHECK(a->has_min == b->has_min && a->has_max == b->has_max &&
               a->has_weight == b->has_weight && a->has_mode == b->has_mode);
    FUZZ_CHECK(!a->has_min || a->min_kib == b->min_kib);
    FUZZ_CHECK(!a->has_max || a->max_kib == b->max_kib);
    FUZZ_CHECK(!a->has_weight || a->weight == b->weight);
    FUZZ_CHECK(!a->has_mode || a->mode == b->mode);
}

static void check_res(const struct bd_daemon *d, const struct bd_config *c)
{
    FUZZ_CHECK(d->n_res <= BD_MAX_RESERVATIONS);
    for (size_t i = 0; i < d->n_res; i++) {
        FUZZ_CHECK(d->res[i].granted && d->res[i].kib >= 1 &&
                   d->res[i].kib <= BD_SIZE_MAX_KIB);
        FUZZ_CHECK(d->res[i].expires_ms <= 1000 + c->reserve_hold_ms);
        FUZZ_CHECK(d->res[i].id < d->next_res_id);
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(d->res[k].id != d->res[i].id);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bd_config cfg;
    struct bd_daemon d, d2;
    struct bd_domain *doms = NULL, **ptrs = NULL;
    size_t n = 0;

    setup_once();
    write_input(data, size);
    cfg.reserve_hold_ms = 60000; /* all the state file reads of it */
    memset(&d, 0, sizeof(d));
    memset(&d2, 0, sizeof(d2));
    d.cfg = d2.cfg = &cfg;
    d.next_res_id = d2.next_res_id = 1;
    if (bd_state_load(&d, path, 1000) != 0) {
        FUZZ_CHECK(d.n_pending == 0 && !d.pending && d.n_res == 0);
        return 0;
    }
    check_res(&d, &cfg);

    /* One domain per domid, named as its last entry (which must win). */
    doms = calloc(d.n_pending + 1, sizeof(*doms));
    ptrs = calloc(d.n_pending + 1, sizeof(*ptrs));
    FUZZ_CHECK(doms && ptrs);
    for (size_t i = 0; i < d.n_pending; i++) {
        const struct bd_state_entry *e = &d.pending[i];
        size_t k;

        check_entry(e);
        for (k = 0; k < n && doms[k].domid != e->domid; k++)
            ;
        if (k == n)
            n++;
        doms[k].domid = e->domid;
        memcpy(doms[k].name, e->name, sizeof(doms[k].name));
    }
    for (size_t k = 0; k < n; k++) {
        ptrs[k] = &doms[k];
        bd_state_apply_pending(&d, &doms[k]);
    }
    FUZZ_CHECK(d.n_pending == 0);
    d.doms = ptrs;
    d.n_doms = n;

    FUZZ_CHECK(bd_state_save(&d, path2, 1000) == 0);
    FUZZ_CHECK(bd_state_load(&d2, path2, 1000) == 0);
    for (size_t k = 0; k < n; k++)
        check_saved(&d2, &doms[k]);
    FUZZ_CHECK(d2.n_res == d.n_res);
    for (size_t i = 0; i < d.n_res; i++)
        FUZZ_CHECK(d2.res[i].id == d.res[i].id &&
                   d2.res[i].kib == d.res[i].kib);

    free(d.pending);
    free(d2.pending);
    free(doms);
    free(ptrs);
    return 0;
}
