/*
 * host.c - choosing a host backend from the --host option.
 *
 * Design: kept apart from both backends so that tests link only the one
 * they use (a machine without Xen still links libxl: the real backend is
 * chosen at run time, not at build time).
 */
#include <errno.h>
#include <string.h>

#include "daemon/host.h"

int bd_host_open(const char *spec, uint64_t now_ms, struct bd_host **out)
{
    if (!spec || strcmp(spec, "xen") == 0)
        return bd_host_xen_open(out);
    if (strncmp(spec, "sim:", 4) == 0 && spec[4] != '\0')
        return bd_host_sim_open(spec + 4, now_ms, out);
    return -EINVAL;
}

void bd_host_close(struct bd_host *h)
{
    if (h)
        h->ops->destroy(h);
}
