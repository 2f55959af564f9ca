/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.h - balloon-agent's command line.
 *
 * Design: parsing is separate from main() so the tests can feed it bad
 * command lines; it prints nothing and exits nothing, it returns an error
 * message.  Durations go through common/size.h like every other duration
 * in balloond.
 */
#ifndef BD_AGENT_OPTIONS_H
#define BD_AGENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/report.h"

#define BD_AGENT_DEF_INTERVAL_MS 1000
#define BD_AGENT_MIN_INTERVAL_MS 100
#define BD_AGENT_MAX_INTERVAL_MS 60000
#define BD_AGENT_MIN_HEARTBEAT_MS 1000
#define BD_AGENT_MAX_HEARTBEAT_MS 3600000

enum bd_agent_action {
    BD_AGENT_RUN = 0,
    BD_AGENT_HELP,
    BD_AGENT_VERSION,
};

struct bd_agent_options {
    enum bd_agent_action action;
    uint64_t interval_ms;
    struct bd_report_settings report; /* threshold and heartbeat */
    const char *proc_dir;             /* points into argv or a literal */
    bool once;
    bool foreground;
    bool verbose;
};

/*
 * Parse argv.  Returns 0, or -EINVAL with a one-line message in err
 * (always NUL-terminated when errlen > 0).  Uses getopt_long and resets
 * its state first, so it may be called more than once.
 */
int bd_agent_options_parse(int argc, char **argv, struct bd_agent_options *o,
                           char *err, size_t errlen);

void bd_agent_usage(FILE *f);

#endif /* BD_AGENT_OPTIONS_H */
