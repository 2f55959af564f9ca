/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_host.c - see fake_host.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xskeys.h"
#include "tests/fake_host.h"

static struct fake_host *F(struct bd_host *h)
{
    return (struct fake_host *)h;
}

struct fake_dom *fake_dom(struct fake_host *fh, uint32_t domid)
{
    for (size_t i = 0; i < fh->n_doms; i++)
        if (fh->doms[i].domid == domid && fh->doms[i].exists)
            return &fh->doms[i];
    return NULL;
}

static struct fake_key *key(struct fake_dom *d, const char *rel, bool create)
{
    for (size_t i = 0; i < d->n_keys; i++)
        if (strcmp(d->keys[i].rel, rel) == 0)
            return &d->keys[i];
    if (!create || d->n_keys == FAKE_MAX_KEYS)
        return NULL;
    snprintf(d->keys[d->n_keys].rel, sizeof(d->keys[0].rel), "%s", rel);
    return &d->keys[d->n_keys++];
}

void fake_set_key(struct fake_host *fh, uint32_t domid, const char *rel,
                  const char *val)
{
    struct fake_dom *d = fake_dom(fh, domid);
    struct fake_key *k;

    if (!d)
        return;
    fh->gen++;
    if (!val) {
        k = key(d, rel, false);
        if (k)
            *k = d->keys[--d->n_keys];
        return;
    }
    k = key(d, rel, true);
    snprintf(k->val, sizeof(k->val), "%s", val);
    k->len = strlen(k->val);
}

void fake_set_num(struct fake_host *fh, uint32_t domid, const char *rel,
                  uint64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    fake_set_key(fh, domid, rel, buf);
}

uint64_t fake_get_num(struct fake_host *fh, uint32_t domid, const char *rel)
{
    struct fake_dom *d = fake_dom(fh, domid);
    struct fake_key *k = d ? key(d, rel, false) : NULL;

    return k ? strtoull(k->val, NULL, 10) : 0;
}

void fake_event(struct fake_host *fh, const char *path)
{
    if (fh->n_events < FAKE_MAX_EVENTS)
        snprintf(fh->events[fh->n_events++].path, BD_HOST_PATH_MAX, "%s",
                 path);
}

void fake_report(struct fake_host *fh, uint32_t domid, uint64_t total,
                 uint64_t avail, uint64_t seq)
{
    char path[96];

    fake_set_num(fh, domid, "data/balloon/mem-total", total);
    fake_set_num(fh, domid, "data/balloon/mem-available", avail);
    fake_set_num(fh, domid, "data/balloon/seq", seq);
    snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/data/balloon/seq",
             domid);
    fake_event(fh, path);
}

static int f_list(struct bd_host *h, struct bd_host_dom **out, size_t *n)
{
    struct fake_host *fh = F(h);
    struct bd_host_dom *l = calloc(FAKE_MAX_DOMS, sizeof(*l));
    size_t k = 0;

    if (!l)
        return -ENOMEM;
    for (size_t i = 0; i < fh->n_doms; i++) {
        if (!fh->doms[i].exists)
            continue;
        l[k].domid = fh->doms[i].domid;
        l[k].current_kib = fh->doms[i].current_kib;
        l[k].hv_max_kib = fh->doms[i].current_kib + 1024;
        k++;
    }
    *out = l;
    *n = k;
    return 0;
}

static int f_phys(struct bd_host *h, struct bd_host_phys *out)
{
    F(h)->n_physinfo++;
    *out = F(h)->phys;
    return 0;
}

static int f_name(struct bd_host *h, uint32_t domid, char *buf, size_t len)
{
    struct fake_dom *d = fake_dom(F(h), domid);

    if (!d)
        return -ENOENT;
    snprintf(buf, len, "%s", d->name);
    return 0;
}

static int f_read(struct bd_host *h, uint32_t domid, const char *rel,
                  char *buf, size_t len, size_t *vlen)
{
    struct fake_host *fh = F(h);
    struct fake_dom *d = fake_dom(fh, domid);
    struct fake_key *k;

    fh->n_reads++;
    if (d && d->vanish_before_write && strcmp(rel, "memory/target") == 0 &&
        fh->n_physinfo > 0) {
        /* Gone between the plan and the write. */
        d->exists = false;
        return -ENOENT;
    }
    k = d ? key(d, rel, false) : NULL;
    if (!k)
        return -ENOENT;
    if (k->len >= len)
        return -E2BIG;
    memcpy(buf, k->val, k->len + 1);
    *vlen = k->len;
    if (fh->mid_read)
        fh->mid_read(fh, domid, rel);
    return 0;
}

/* A snapshot: redone while a key changed during it (xenstored's EAGAIN). */
static int f_read_keys(struct bd_host *h, uint32_t domid,
                       struct bd_host_key *keys, size_t n)
{
    struct fake_host *fh = F(h);

    fh->n_snapshots++;
    for (int tries = 0; tries < 8; tries++) {
        uint64_t gen = fh->gen;

        for (size_t i = 0; i < n; i++) {
            keys[i].vlen = 0;
            keys[i].rc = f_read(h, domid, keys[i].rel, keys[i].buf,
                                keys[i].len, &keys[i].vlen);
        }
        if (fh->gen == gen)
            return 0;
    }
    return -EAGAIN;
}

void fake_rename(struct fake_host *fh, uint32_t domid, const char *name)
{
    struct fake_dom *d = fake_dom(fh, domid);
    char path[64];

    if (!d)
        return;
    snprintf(d->name, sizeof(d->name), "%s", name);
    fake_set_key(fh, domid, BD_XS_NAME, name);
    snprintf(path, sizeof(path), BD_XS_DOMAIN_PREFIX "%" PRIu32 "/" BD_XS_NAME, domid);
    for (size_t i = 0; i < fh->n_watches; i++)
        if (strcmp(fh->watches[i], path) == 0)
            fake_event(fh, path);
}

static int f_set(struct bd_host *h, uint32_t domid, uint64_t kib)
{
    struct fake_host *fh = F(h);
    struct fake_dom *d = fake_dom(fh, domid);

    if (!d)
        return -ENOENT;
    if (d->set_err)
        return d->set_err;
    if (fh->n_writes < FAKE_MAX_WRITES) {
        fh->writes[fh->n_writes].domid = domid;
        fh->writes[fh->n_writes].kib = kib;
        fh->n_writes++;
    }
    fake_set_num(fh, domid, "memory/target", kib);
    if (fh->writes_take_effect) {
        if (kib < d->current_kib)
            fh->phys.free_kib += d->current_kib - kib;
        else
            fh->phys.free_kib -= kib - d->current_kib;
        d->current_kib = kib;
    }
    return 0;
}

static int f_watch(struct bd_host *h, const char *path, const char *token)
{
    struct fake_host *fh = F(h);

    (void)token;
    if (fh->n_watches < sizeof(fh->watches) / sizeof(fh->watches[0]))
        snprintf(fh->watches[fh->n_watches++], sizeof(fh->watches[0]), "%s",
                 path);
    fake_event(fh, path);
    return 0;
}

static int f_unwatch(struct bd_host *h, const char *path, const char *token)
{
    struct fake_host *fh = F(h);

    (void)token;
    for (size_t i = 0; i < fh->n_watches; i++)
        if (strcmp(fh->watches[i], path) == 0) {
            memcpy(fh->watches[i], fh->watches[--fh->n_watches],
                   sizeof(fh->watches[0]));
            break;
        }
    return 0;
}

static int f_fd(struct bd_host *h)
{
    (void)h;
    return -1;
}

static int f_next(struct bd_host *h, struct bd_host_event *ev)
{
    struct fake_host *fh = F(h);

    if (fh->n_events == 0)
        return -EAGAIN;
    *ev = fh->events[0];
    memmove(&fh->events[0], &fh->events[1],
            (fh->n_events - 1) * sizeof(fh->events[0]));
    fh->n_events--;
    return 0;
}

static int f_cmdline(struct bd_host *h, char *buf, size_t len)
{
    (void)h;
    (void)buf;
    (void)len;
    return -ENOTSUP;
}

static void f_destroy(struct bd_host *h)
{
    (void)h;
}

static const struct bd_host_ops fake_ops = {
    .name = "fake",
    .list_domains = f_list,
    .physinfo = f_phys,
    .domain_name = f_name,
    .read_key = f_read,
    .read_keys = f_read_keys,
    .set_target = f_set,
    .watch = f_watch,
    .unwatch = f_unwatch,
    .fd = f_fd,
    .next_event = f_next,
    .step = NULL,
    .xen_cmdline = f_cmdline,
    .destroy = f_destroy,
};

struct fake_host *fake_host_new(uint64_t total_kib, uint64_t free_kib)
{
    struct fake_host *fh = calloc(1, sizeof(*fh));

    if (!fh)
        return NULL;
    fh->h.ops = &fake_ops;
    fh->h.priv = fh;
    fh->phys.total_kib = total_kib;
    fh->phys.free_kib = free_kib;
    return fh;
}

void fake_host_free(struct fake_host *fh)
{
    free(fh);
}

struct fake_dom *fake_add(struct fake_host *fh, uint32_t domid,
                          const char *name, uint64_t current_kib,
                          uint64_t smax_kib)
{
    struct fake_dom *d = &fh->doms[fh->n_doms++];

    memset(d, 0, sizeof(*d));
    d->domid = domid;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->current_kib = current_kib;
    d->exists = true;
    fake_set_num(fh, domid, "memory/target", current_kib);
    fake_set_num(fh, domid, "memory/static-max", smax_kib);
    return d;
}
