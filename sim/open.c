/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * open.c - the hosts balloond-sim runs on: real Xen, or the simulated host
 * of sim/host_sim.c (--host sim:SCENARIO).
 *
 * Design: balloond-sim is balloond with this file instead of
 * daemon/host/open.c, for the demo, the integration tests and anyone
 * trying balloond without Xen; the installed balloond has no sim code.
 */
#include <errno.h>
#include <string.h>

#include "daemon/host/host.h"
#include "sim/host_sim.h"

int bd_host_open(const char *spec, uint64_t now_ms, struct bd_host **out)
{
    if (spec && strncmp(spec, "sim:", 4) == 0)
        return spec[4] ? bd_host_sim_open(spec + 4, now_ms, out) : -EINVAL;
    if (!spec || strcmp(spec, "xen") == 0)
        return bd_host_xen_open(out);
    return -EINVAL;
}
