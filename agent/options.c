/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.c - balloon-agent command-line parsing.
 *
 * Design: getopt_long with opterr off, so every error comes back as a
 * message for main() to print with the usage hint; range checks live here
 * next to the limits they enforce (options.h).
 */
#include "agent/options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "common/size.h"

enum {
    OPT_INTERVAL = 256,
    OPT_HEARTBEAT,
    OPT_THRESHOLD,
    OPT_ONCE,
    OPT_PROC,
    OPT_VERSION,
};

static const struct option long_opts[] = {
    { "interval", required_argument, NULL, OPT_INTERVAL },
    { "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
    { "threshold", required_argument, NULL, OPT_THRESHOLD },
    { "once", no_argument, NULL, OPT_ONCE },
    { "proc", required_argument, NULL, OPT_PROC },
    { "foreground", no_argument, NULL, 'f' },
    { "verbose", no_argument, NULL, 'v' },
    { "version", no_argument, NULL, OPT_VERSION },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

void bd_agent_usage(FILE *f)
{
    fprintf(f,
            "usage: balloon-agent [--interval DURATION] [--heartbeat DURATION]\n"
            "                     [--threshold PCT] [--proc DIR] [--foreground]\n"
            "                     [--verbose]\n"
            "       balloon-agent --once [--interval DURATION] [--proc DIR]\n"
            "       balloon-agent --version | --help\n"
            "\n"
            "  --interval DURATION   sample /proc this often (default 1s)\n"
            "  --heartbeat DURATION  write at least this often (default 60s)\n"
            "  --threshold PCT       write at once when available memory moves\n"
            "                        by more than PCT of MemTotal (default 2%%)\n"
            "  --once                print one report as `key value` lines, do\n"
            "                        not write to xenstore\n"
            "  --proc DIR            read meminfo, vmstat, pressure/memory in DIR\n"
            "  -f, --foreground      do not detach; log to stderr\n"
            "  -v, --verbose         log every report written\n");
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* "2", "2%", "0.5%", "12.25": 0..100 with at most two decimals. */
static int parse_pct_x100(const char *s, uint32_t *x100)
{
    uint64_t v = 0;
    int ndig = 0, nfrac = -1;

    for (; *s >= '0' && *s <= '9'; s++) {
        if (++ndig > 3)
            return -ERANGE;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (ndig == 0)
        return -EINVAL;
    v *= 100;
    if (*s == '.') {
        s++;
        for (nfrac = 0; *s >= '0' && *s <= '9'; s++, nfrac++) {
            if (nfrac == 2)
                return -EINVAL;
            v += (uint64_t)(*s - '0') * (nfrac == 0 ? 10 : 1);
        }
        if (nfrac == 0)
            return -EINVAL;
    }
    if (*s == '%')
        s++;
    if (*s != '\0')
        return -EINVAL;
    if (v > 10000)
        return -ERANGE;
    *x100 = (uint32_t)v;
    return 0;
}

static int duration(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
                    uint64_t *ms, char *err, size_t errlen)
{
    const char *why = "out of range";
    int rc;

    rc = bd_parse_duration_ms(arg, ms, &why);
    if (rc)
        return fail(err, errlen, "--%s: '%s': %s", opt, arg,
                    rc == -ERANGE ? "too long" : why);
    if (*ms < lo || *ms > hi)
        return fail(err, errlen,
                    "--%s: '%s': must be between %" PRIu64 "ms and %" PRIu64
                    "s",
                    opt, arg, lo, hi / 1000);
    return 0;
}

int bd_agent_options_parse(int argc, char **argv, struct bd_agent_options *o,
                           char *err, size_t errlen)
{
    int c, rc;

    memset(o, 0, sizeof(*o));
    o->action = BD_AGENT_RUN;
    o->interval_ms = BD_AGENT_DEF_INTERVAL_MS;
    o->proc_dir = "/proc";
    bd_report_settings_init(&o->report);
    if (errlen > 0)
        err[0] = '\0';

    optind = 0; /* glibc: full reinitialisation */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":fvh", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_INTERVAL:
            rc = duration("interval", optarg, BD_AGENT_MIN_INTERVAL_MS,
                          BD_AGENT_MAX_INTERVAL_MS, &o->interval_ms, err,
                          errlen);
            if (rc)
                return rc;
            break;
        case OPT_HEARTBEAT:
            rc = duration("heartbeat", optarg, BD_AGENT_MIN_HEARTBEAT_MS,
                          BD_AGENT_MAX_HEARTBEAT_MS, &o->report.heartbeat_ms,
                          err, errlen);
            if (rc)
                return rc;
            break;
        case OPT_THRESHOLD:
            rc = parse_pct_x100(optarg, &o->report.threshold_x100);
            if (rc)
                return fail(err, errlen,
                            "--threshold: '%s': want a percentage 0..100 "
                            "with at most two decimals",
                            optarg);
            break;
        case OPT_ONCE:
            o->once = true;
            break;
        case OPT_PROC:
            if (optarg[0] == '\0')
                return fail(err, errlen, "--proc: empty directory");
            o->proc_dir = optarg;
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            o->action = BD_AGENT_HELP;
            return 0;
        case OPT_VERSION:
            o->action = BD_AGENT_VERSION;
            return 0;
        case ':':
            return fail(err, errlen, "%s: needs an argument",
                        argv[optind - 1]);
        default:
            /* A long option has been stepped over; optopt is its value
             * when it was known but given "=value" it does not take. */
            if (optind > 0 && strncmp(argv[optind - 1], "--", 2) == 0)
                return fail(err, errlen, "%s: %s", argv[optind - 1],
                            optopt ? "takes no value" : "unknown option");
            return fail(err, errlen, "-%c: unknown option", optopt);
        }
    }
    if (optind < argc)
        return fail(err, errlen, "'%s': unexpected argument", argv[optind]);
    if (o->report.heartbeat_ms < o->interval_ms)
        return fail(err, errlen,
                    "--heartbeat (%" PRIu64 "ms) is shorter than --interval "
                    "(%" PRIu64 "ms)",
                    o->report.heartbeat_ms, o->interval_ms);
    return 0;
}
