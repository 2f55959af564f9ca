/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host.c - what every backend shares: closing a host, splitting a
 * xenstore path into domid and key.
 *
 * Design: kept apart from the backends so that the simulator and the
 * tests link it without libxl.  Choosing a backend is open.c's (balloond)
 * or sim/open.c's (balloond-sim).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/limits.h"
#include "daemon/host/host.h"

void bd_host_close(struct bd_host *h)
{
    if (h)
        h->ops->destroy(h);
}

int bd_host_split_path(const char *path, uint32_t *domid, const char **rel)
{
    static const char pfx[] = "/local/domain/";
    const char *p;
    uint64_t v = 0;
    int digits = 0;

    if (strncmp(path, pfx, sizeof(pfx) - 1) != 0)
        return -EINVAL;
    p = path + sizeof(pfx) - 1;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (++digits > 5)
            return -EINVAL;
    }
    if (digits == 0 || v > BD_DOMID_MAX)
        return -EINVAL;
    if (*p == '/')
        p++;
    else if (*p != '\0')
        return -EINVAL;
    *domid = (uint32_t)v;
    *rel = p;
    return 0;
}
