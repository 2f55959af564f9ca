/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * open.c - the host balloond runs on: real Xen only.
 *
 * Design: the installed balloond links no simulator.  --host sim:SCENARIO
 * is answered with -EPROTONOSUPPORT, which main.c turns into a line that
 * names balloond-sim, the build that has it (sim/open.c replaces this
 * file there).
 */
#include <errno.h>
#include <string.h>

#include "daemon/host/host.h"

int bd_host_open(const char *spec, uint64_t now_ms, struct bd_host **out)
{
    (void)now_ms;
    if (!spec || strcmp(spec, "xen") == 0)
        return bd_host_xen_open(out);
    return strncmp(spec, "sim:", 4) == 0 ? -EPROTONOSUPPORT : -EINVAL;
}
