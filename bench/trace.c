/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace.c - loading a grid trace for the benchmark.
 *
 * Format (bench-model.md): a CSV, gzip-compressed or not (zlib's gzread
 * reads both), whose header is `timestamp_s,vm<N>_mem_usage_kb,...` and
 * whose rows are one sample each; and a meta CSV `vm,source_file,
 * mem_provisioned_kb`.  Every trace column must have a meta row.  Lines of
 * any length are read; a malformed number stops the load with the line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench/bench.h"

/* Read one line of any length; returns its length, 0 at EOF, -errno. */
static ssize_t gz_line(gzFile f, char **buf, size_t *cap)
{
    size_t len = 0;

    for (;;) {
        if (*cap - len < 2) {
            size_t nc = *cap ? *cap * 2 : 4096;
            char *nb = realloc(*buf, nc);
            if (!nb)
                return -ENOMEM;
            *buf = nb;
            *cap = nc;
        }
        if (!gzgets(f, *buf + len, (int)(*cap - len)))
            break;
        len += strlen(*buf + len);
        if (len && (*buf)[len - 1] == '\n')
            break;
    }
    if (len == 0)
        return 0;
    while (len && ((*buf)[len - 1] == '\n' || (*buf)[len - 1] == '\r'))
        (*buf)[--len] = '\0';
    return (ssize_t)len + 1; /* an empty line is still a line */
}

static int parse_u64(const char *s, const char **end, uint64_t *v)
{
    uint64_t x = 0;
    const char *p = s;

    if (*p < '0' || *p > '9')
        return -EINVAL;
    while (*p >= '0' && *p <= '9') {
        if (x > (UINT64_MAX - 9) / 10)
            return -ERANGE;
        x = x * 10 + (uint64_t)(*p - '0');
        p++;
    }
    /* a fractional part is accepted and dropped (KiB resolution) */
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    *end = p;
    *v = x;
    return 0;
}

static int load_meta(const char *path, uint32_t **ids, uint64_t **prov,
                     size_t *n)
{
    gzFile f = gzopen(path, "rb");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t r;
    int rc = 0;

    *ids = NULL;
    *prov = NULL;
    *n = 0;
    if (!f) {
        fprintf(stderr, "bench: %s: %s\n", path,
                strerror(errno ? errno : ENOENT));
        return -ENOENT;
    }
    while ((r = gz_line(f, &line, &cap)) > 0) {
        const char *p = line, *e, *last;
        uint64_t id, kib;

        lineno++;
        if (lineno == 1 || !*line)
            continue; /* header */
        if (parse_u64(p, &e, &id) || *e != ',' || id > UINT32_MAX)
            goto bad;
        last = strrchr(line, ',');
        if (!last || parse_u64(last + 1, &e, &kib) || *e)
            goto bad;
        {
            uint32_t *ni = realloc(*ids, (*n + 1) * sizeof(**ids));
            uint64_t *np;
            if (!ni) {
                rc = -ENOMEM;
                goto out;
            }
            *ids = ni;
            np = realloc(*prov, (*n + 1) * sizeof(**prov));
            if (!np) {
                rc = -ENOMEM;
                goto out;
            }
            *prov = np;
        }
        (*ids)[*n] = (uint32_t)id;
        (*prov)[*n] = kib;
        (*n)++;
        continue;
    bad:
        fprintf(stderr, "bench: %s:%zu: malformed meta line\n", path, lineno);
        rc = -EINVAL;
        goto out;
    }
    if (r < 0)
        rc = (int)r;
out:
    free(line);
    gzclose(f);
    return rc;
}

int bd_trace_load(const char *trace_path, const char *meta_path,
                  struct bd_trace *t)
{
    uint32_t *mid = NULL;
    uint64_t *mprov = NULL, *ts = NULL;
    size_t mn = 0, cap = 0, lineno = 0, rows_cap = 0, i;
    char *line = NULL;
    gzFile f = NULL;
    ssize_t r;
    int rc;

    memset(t, 0, sizeof(*t));
    rc = load_meta(meta_path, &mid, &mprov, &mn);
    if (rc)
        goto out;
    f = gzopen(trace_path, "rb");
    if (!f) {
        fprintf(stderr, "bench: %s: cannot open\n", trace_path);
        rc = -ENOENT;
        goto out;
    }
    /* header */
    r = gz_line(f, &line, &cap);
    if (r <= 0 || strncmp(line, "timestamp_s,", 12)) {
        fprintf(stderr,
                "bench: %s: no `timestamp_s,vm<N>_mem_usage_kb,...` "
                "header\n",
                trace_path);
        rc = -EINVAL;
        goto out;
    }
    lineno = 1;
    {
        const char *p = line + 12;
        while (*p) {
            uint64_t id;
            const char *e;
            size_t k;
            if (strncmp(p, "vm", 2) || parse_u64(p + 2, &e, &id) ||
                strncmp(e, "_mem_usage_kb", 13) ||
                (e[13] != ',' && e[13] != '\0')) {
                fprintf(stderr, "bench: %s:1: bad column name\n", trace_path);
                rc = -EINVAL;
                goto out;
            }
            for (k = 0; k < mn; k++)
                if (mid[k] == id)
                    break;
            if (k == mn) {
                fprintf(stderr, "bench: vm%" PRIu64 " has no row in %s\n", id,
                        meta_path);
                rc = -EINVAL;
                goto out;
            }
            t->vm_id = realloc(t->vm_id, (t->n_vm + 1) * sizeof(*t->vm_id));
            t->max_kib =
                realloc(t->max_kib, (t->n_vm + 1) * sizeof(*t->max_kib));
            if (!t->vm_id || !t->max_kib) {
                rc = -ENOMEM;
                goto out;
            }
            t->vm_id[t->n_vm] = (uint32_t)id;
            t->max_kib[t->n_vm] = mprov[k];
            t->n_vm++;
            p = e + 13;
            if (*p == ',')
                p++;
        }
    }
    if (t->n_vm == 0) {
        fprintf(stderr, "bench: %s: no VM columns\n", trace_path);
        rc = -EINVAL;
        goto out;
    }
    while ((r = gz_line(f, &line, &cap)) > 0) {
        const char *p = line, *e;
        uint64_t v;

        lineno++;
        if (!*line)
            continue;
        if (t->n_samples == rows_cap) {
            size_t nc = rows_cap ? rows_cap * 2 : 1024;
            uint64_t *nu = realloc(t->use_kib, nc * t->n_vm * sizeof(*nu));
            uint64_t *nt;
            if (!nu) {
                rc = -ENOMEM;
                goto out;
            }
            t->use_kib = nu;
            nt = realloc(ts, nc * sizeof(*nt));
            if (!nt) {
                rc = -ENOMEM;
                goto out;
            }
            ts = nt;
            rows_cap = nc;
        }
        if (parse_u64(p, &e, &v) || *e != ',')
            goto bad;
        ts[t->n_samples] = v;
        p = e + 1;
        for (i = 0; i < t->n_vm; i++) {
            if (parse_u64(p, &e, &v) || (i + 1 < t->n_vm ? *e != ',' : *e))
                goto bad;
            t->use_kib[t->n_samples * t->n_vm + i] = v;
            p = e + 1;
        }
        t->n_samples++;
        continue;
    bad:
        fprintf(stderr, "bench: %s:%zu: malformed row\n", trace_path, lineno);
        rc = -EINVAL;
        goto out;
    }
    if (r < 0) {
        rc = (int)r;
        goto out;
    }
    if (t->n_samples < 2 || ts[1] <= ts[0]) {
        fprintf(stderr, "bench: %s: need at least two increasing samples\n",
                trace_path);
        rc = -EINVAL;
        goto out;
    }
    t->step_s = ts[1] - ts[0];
    rc = 0;
out:
    if (f)
        gzclose(f);
    free(line);
    free(mid);
    free(mprov);
    free(ts);
    if (rc)
        bd_trace_dispose(t);
    return rc;
}

void bd_trace_dispose(struct bd_trace *t)
{
    free(t->vm_id);
    free(t->max_kib);
    free(t->use_kib);
    memset(t, 0, sizeof(*t));
}
