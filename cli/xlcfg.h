/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xlcfg.h - what an xl domain config asks for, and what Xen will need to
 * start it (xlcfg.c): balloonctl create and reserve CFG.
 */
#ifndef BCTL_XLCFG_H
#define BCTL_XLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The settings of an xl config that decide its memory need. */
struct bctl_xlcfg {
    char name[128];
    enum { BCTL_XL_PV, BCTL_XL_PVH, BCTL_XL_HVM } type;
    uint64_t memory_kib;        /* memory= (MiB in the file) */
    uint64_t maxmem_kib;        /* maxmem=, else memory */
    uint64_t shadow_kib;        /* shadow_memory=; 0 = libxl's default */
    uint64_t videoram_kib;      /* videoram=; 0 = libxl's default */
    uint32_t max_vcpus;         /* maxvcpus=, else vcpus=, else 1 */
    bool stubdom;               /* device_model_stubdomain_override */
};

/* Read the xl config at path, with KEY=VALUE overrides applied as xl
 * create applies them (appended lines), through xl's own parser
 * (libxlutil).  0, or -errno with a one-line reason in err. */
int bctl_xlcfg_read(const char *path, char *const *overrides, size_t n,
                    struct bctl_xlcfg *c, char *err, size_t errlen);

/* What Xen needs to start it, its overhead included, as xl computes it
 * (libxl_domain_need_memory(), on this dom0).  0, or -errno with err. */
int bctl_xlcfg_need_kib(const struct bctl_xlcfg *c, uint64_t *need_kib,
                        char *err, size_t errlen);

#endif /* BCTL_XLCFG_H */
