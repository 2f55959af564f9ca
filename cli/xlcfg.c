/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xlcfg.c - what an xl domain config asks for, and what Xen will need to
 * start it.
 *
 * Design: xl's own pieces, not a copy of them.  The file is parsed by
 * libxlutil (xl's parser), with the KEY=VALUE overrides of the command
 * line appended as xl create appends them, and only the keys that decide
 * the memory need are read (as xl's parse_config_data reads them).  The
 * need itself comes from libxl_domain_need_memory() on this dom0: the
 * guest's memory plus Xen's per-domain overhead (page tables, shadow,
 * video RAM, the HVM/PVH extra), defaulted by libxl exactly as xl create
 * will default it, so that what is reserved is what the build takes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxlutil.h>
#include <xentoollog.h>

#include "cli/xlcfg.h"

/* Longest config file read (xl's are a few KiB). */
#define XLCFG_MAX_BYTES (1024 * 1024)

/* The file, then "\n" and each override: what xl create parses. */
static char *read_text(const char *path, char *const *ov, size_t n,
                       size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t size = 0, cap = XLCFG_MAX_BYTES + 1;

    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(cap + 1);
    if (buf)
        size = fread(buf, 1, cap, f);
    fclose(f);
    if (!buf || size > XLCFG_MAX_BYTES) {
        snprintf(err, errlen, "%s: %s", path,
                 buf ? "larger than 1 MiB: not an xl config" : "no memory");
        free(buf);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(ov[i]);
        char *nb = realloc(buf, size + l + 2);
        if (!nb) {
            free(buf);
            snprintf(err, errlen, "no memory");
            return NULL;
        }
        buf = nb;
        buf[size++] = '\n';
        memcpy(buf + size, ov[i], l);
        size += l;
    }
    buf[size] = '\0';
    *len = size;
    return buf;
}

/* A size in MiB (xl's unit for memory=, maxmem=, ...): 0 when absent. */
static int get_mib(XLU_Config *cfg, const char *key, uint64_t *kib,
                   char *err, size_t errlen)
{
    long v;
    int r;

    *kib = 0;
    r = xlu_cfg_get_long(cfg, key, &v, 1);
    if (r == ESRCH)
        return 0;
    if (r) {
        /* xl itself would refuse it: a string or an out-of-range number */
        snprintf(err, errlen, "%s is not a size in MiB", key);
        return -EINVAL;
    }
    if (v < 0 || (unsigned long)v > (UINT64_C(1) << 30)) {
        snprintf(err, errlen, "%s = %ld is not a size in MiB", key, v);
        return -EINVAL;
    }
    *kib = (uint64_t)v * 1024;
    return 0;
}

static int get_type(XLU_Config *cfg, struct bctl_xlcfg *c, char *err,
                    size_t errlen)
{
    const char *s = NULL;

    c->type = BCTL_XL_PV;
    if (!xlu_cfg_get_string(cfg, "type", &s, 0)) {
        if (!strcmp(s, "pv"))
            c->type = BCTL_XL_PV;
        else if (!strcmp(s, "pvh"))
            c->type = BCTL_XL_PVH;
        else if (!strcmp(s, "hvm"))
            c->type = BCTL_XL_HVM;
        else {
            snprintf(err, errlen, "type = \"%s\": not pv, pvh or hvm", s);
            return -EINVAL;
        }
    } else if (!xlu_cfg_get_string(cfg, "builder", &s, 0) &&
               !strcmp(s, "hvm")) {
        c->type = BCTL_XL_HVM; /* the old spelling */
    }
    return 0;
}

static int read_keys(XLU_Config *cfg, struct bctl_xlcfg *c, char *err,
                     size_t errlen)
{
    const char *s = NULL;
    long v;
    int rc;

    if (xlu_cfg_get_string(cfg, "name", &s, 0) || !s[0]) {
        snprintf(err, errlen, "no name = \"...\" in the config");
        return -EINVAL;
    }
    snprintf(c->name, sizeof(c->name), "%s", s);
    if ((rc = get_type(cfg, c, err, errlen)) ||
        (rc = get_mib(cfg, "memory", &c->memory_kib, err, errlen)) ||
        (rc = get_mib(cfg, "maxmem", &c->maxmem_kib, err, errlen)) ||
        (rc = get_mib(cfg, "shadow_memory", &c->shadow_kib, err, errlen)) ||
        (rc = get_mib(cfg, "videoram", &c->videoram_kib, err, errlen)))
        return rc;
    if (!c->memory_kib) {
        snprintf(err, errlen, "no memory = MIB in the config");
        return -EINVAL;
    }
    if (c->maxmem_kib < c->memory_kib)
        c->maxmem_kib = c->memory_kib;
    c->max_vcpus = 1;
    if (!xlu_cfg_get_long(cfg, "maxvcpus", &v, 1) ||
        !xlu_cfg_get_long(cfg, "vcpus", &v, 1)) {
        if (v < 1 || v > 4096) {
            snprintf(err, errlen, "vcpus = %ld is not 1 .. 4096", v);
            return -EINVAL;
        }
        c->max_vcpus = (uint32_t)v;
    }
    if (!xlu_cfg_get_long(cfg, "device_model_stubdomain_override", &v, 1))
        c->stubdom = v != 0;
    return 0;
}

int bctl_xlcfg_read(const char *path, char *const *overrides, size_t n,
                    struct bctl_xlcfg *c, char *err, size_t errlen)
{
    XLU_Config *cfg = NULL;
    FILE *report = NULL;
    char *text, *msg = NULL;
    size_t len = 0, msglen = 0;
    int rc;

    memset(c, 0, sizeof(*c));
    text = read_text(path, overrides, n, &len, err, errlen);
    if (!text)
        return -EINVAL;
    /* the parser reports to a stream: keep its words for the error */
    report = open_memstream(&msg, &msglen);
    cfg = report ? xlu_cfg_init(report, path) : NULL;
    if (!cfg) {
        snprintf(err, errlen, "no memory");
        rc = -ENOMEM;
        goto out;
    }
    if (xlu_cfg_readdata(cfg, text, (int)len)) {
        fflush(report);
        snprintf(err, errlen, "%s is not a valid xl config: %.*s", path,
                 (int)strcspn(msg ? msg : "", "\n"), msg ? msg : "");
        rc = -EINVAL;
        goto out;
    }
    rc = read_keys(cfg, c, err, errlen);
out:
    if (cfg)
        xlu_cfg_destroy(cfg);
    if (report)
        fclose(report);
    free(msg);
    free(text);
    return rc;
}

static void fill_config(const struct bctl_xlcfg *c, libxl_domain_config *d)
{
    static const libxl_domain_type types[] = {
        [BCTL_XL_PV] = LIBXL_DOMAIN_TYPE_PV,
        [BCTL_XL_PVH] = LIBXL_DOMAIN_TYPE_PVH,
        [BCTL_XL_HVM] = LIBXL_DOMAIN_TYPE_HVM,
    };
    libxl_domain_build_info *b = &d->b_info;

    libxl_domain_config_init(d);
    d->c_info.type = types[c->type];
    d->c_info.name = strdup(c->name);
    libxl_domain_build_info_init_type(b, types[c->type]);
    b->max_memkb = c->maxmem_kib;
    b->target_memkb = c->memory_kib;
    b->max_vcpus = (int)c->max_vcpus;
    if (c->shadow_kib)
        b->shadow_memkb = c->shadow_kib;
    if (c->videoram_kib && c->type == BCTL_XL_HVM)
        b->video_memkb = c->videoram_kib;
    if (c->type == BCTL_XL_HVM)
        libxl_defbool_set(&b->device_model_stubdomain, c->stubdom);
}

int bctl_xlcfg_need_kib(const struct bctl_xlcfg *c, uint64_t *need_kib,
                        char *err, size_t errlen)
{
    xentoollog_logger_stdiostream *lg;
    libxl_ctx *ctx = NULL;
    libxl_domain_config d;
    int rc = 0, r;

    lg = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
    if (!lg || libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0,
                               (xentoollog_logger *)lg)) {
        snprintf(err, errlen, "cannot ask libxl what %s needs: no Xen "
                 "toolstack here (run it in dom0, as root)", c->name);
        rc = -ENXIO;
        goto out;
    }
    fill_config(c, &d);
    r = libxl_domain_need_memory(ctx, &d, INVALID_DOMID, need_kib);
    libxl_domain_config_dispose(&d);
    if (r) {
        snprintf(err, errlen, "libxl cannot say what %s needs (error %d)",
                 c->name, r);
        rc = -EINVAL;
    }
out:
    if (ctx)
        libxl_ctx_free(ctx);
    if (lg)
        xtl_logger_destroy((xentoollog_logger *)lg);
    return rc;
}
