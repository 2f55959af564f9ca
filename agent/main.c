/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - balloon-agent: report a Linux guest's memory state to xenstore.
 *
 * Design: a single-threaded loop on CLOCK_MONOTONIC.  Every interval it
 * samples /proc (sample.c), asks the pure decision (report.c) whether the
 * sample must be written, and writes it in one transaction (xs.c).  The
 * loop sleeps in ppoll() with SIGTERM/SIGINT blocked everywhere else, so a
 * signal either arrives during the sleep or is already pending when the
 * sleep starts: no lost wake-up, and the exit is always clean.
 *
 * xenstore may be missing (no xenbus yet, xenstored restarting): sampling
 * goes on, connection attempts back off exponentially from 1 s to 30 s,
 * and each change of state is logged once, not every attempt.  After a
 * (re)connection the next report is a full one, and so is the one after
 * a restore or a migration (our keys gone from data/).
 *
 * Logging: stderr with sd-daemon level prefixes in the foreground (what
 * journald parses), syslog(3) when detached.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent/options.h"
#include "agent/report.h"
#include "agent/sample.h"
#include "agent/xs.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000

static bool use_syslog;
static bool verbose;
static volatile sig_atomic_t stop_signal;

static void logmsg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logmsg(int level, const char *fmt, ...)
{
    va_list ap;

    if (level == LOG_DEBUG && !verbose)
        return;
    va_start(ap, fmt);
    if (use_syslog) {
        vsyslog(level, fmt, ap);
    } else {
        fprintf(stderr, "<%d>balloon-agent: ", level);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* Sleep until deadline_ms or a signal; returns early on a signal. */
static void sleep_until(uint64_t deadline_ms, const sigset_t *waitmask)
{
    uint64_t now = mono_ms();
    struct timespec ts;

    if (deadline_ms <= now)
        return;
    ts.tv_sec = (time_t)((deadline_ms - now) / 1000);
    ts.tv_nsec = (long)((deadline_ms - now) % 1000) * 1000000;
    ppoll(NULL, 0, &ts, waitmask);
}

static int print_once(const struct bd_agent_options *o)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s;
    struct bd_sampler sm;
    size_t i, n;
    uint64_t t0;
    int rc;

    rc = bd_sampler_init(&sm, o->proc_dir);
    if (rc) {
        logmsg(LOG_ERR, "%s: %s", o->proc_dir, strerror(-rc));
        return 1;
    }
    /* Rates need two readings: take a base, wait one interval, and take
     * the rates over that interval however short it is. */
    sm.rate_window_ms = o->interval_ms;
    t0 = mono_ms();
    rc = bd_sampler_read(&sm, t0, &s);
    if (!rc) {
        sleep_until(t0 + o->interval_ms, NULL);
        rc = bd_sampler_read(&sm, mono_ms(), &s);
    }
    if (rc) {
        logmsg(LOG_ERR, "%s: %s", sm.meminfo_path, strerror(-rc));
        return 1;
    }
    n = bd_report_keys(&s, 1, kv);
    for (i = 0; i < n; i++)
        if (kv[i].present)
            printf("%s %s\n", kv[i].key, kv[i].value);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Detach: the parent exits 0 once the child runs in its own session. */
static int detach(void)
{
    pid_t pid;
    int fd;

    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -errno;
    if (chdir("/") < 0)
        return -errno;
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    openlog("balloon-agent", LOG_PID, LOG_DAEMON);
    use_syslog = true;
    return 0;
}

/* State of the xenstore side, for logging changes only. */
struct agent {
    const struct bd_agent_options *o;
    struct bd_sampler sm;
    struct bd_xs xs;
    struct bd_report_state st;
    uint64_t seq;
    uint64_t backoff_ms;
    uint64_t next_connect_ms;
    int xs_err;      /* last connect/write error, 0 when fine */
    int sample_err;  /* last meminfo error */
    int vmstat_err;
    int psi_err;
    unsigned long writes;
};

/* xenstore failed (connecting or writing): log it if it is news, and
 * try again after the backoff, which doubles up to BACKOFF_MAX_MS until a
 * report is written.  A guest whose data/ is not writable thus costs one
 * attempt every 30 s and one log line, not a loop. */
static void xs_failed(struct agent *a, int rc, const char *what,
                      uint64_t now_ms)
{
    if (rc != a->xs_err)
        logmsg(LOG_WARNING, "xenstore %s: %s; retrying", what, strerror(-rc));
    a->xs_err = rc;
    bd_xs_disconnect(&a->xs);
    a->next_connect_ms = now_ms + a->backoff_ms;
    a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                       : a->backoff_ms * 2;
}

static void connect_xs(struct agent *a, uint64_t now_ms)
{
    uint64_t seq;
    int rc;

    rc = bd_xs_connect(&a->xs);
    if (rc) {
        xs_failed(a, rc, "unavailable", now_ms);
        return;
    }
    /* A full report after every (re)connection. */
    memset(&a->st, 0, sizeof(a->st));
    if (bd_xs_read_seq(&a->xs, &seq) == 0 && seq > a->seq)
        a->seq = seq;
    rc = bd_xs_feature_balloon(&a->xs);
    if (rc)
        logmsg(LOG_DEBUG, "%s not written: %s", BD_KEY_FEATURE_BALLOON,
               strerror(-rc));
}

/* A restored or migrated-in domain starts with a fresh xenstore tree:
 * the keys written before are gone.  Seen at the next sample, the report
 * is a full one at once, not a heartbeat later (one read per sample). */
static void check_lost(struct agent *a)
{
    uint64_t seq;
    int rc;

    if (!a->writes || bd_xs_read_seq(&a->xs, &seq) != -ENOENT)
        return;
    logmsg(LOG_NOTICE, "%s is gone (the domain was restored or migrated): "
           "reporting again", BD_KEY_SEQ);
    memset(&a->st, 0, sizeof(a->st));
    rc = bd_xs_feature_balloon(&a->xs);
    if (rc)
        logmsg(LOG_DEBUG, "%s not written: %s", BD_KEY_FEATURE_BALLOON,
               strerror(-rc));
}

static void report(struct agent *a, const struct bd_agent_sample *s,
                   uint64_t now_ms)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    enum bd_report_reason why;
    size_t n;
    int rc;

    why = bd_report_decide(&a->st, s, now_ms, &a->o->report);
    if (why == BD_REPORT_NONE)
        return;
    n = bd_report_keys(s, a->seq + 1, kv);
    rc = bd_xs_write_report(&a->xs, kv, n);
    if (rc == -EAGAIN) {
        logmsg(LOG_DEBUG, "report conflicted %u times; next sample",
               a->xs.last_tries);
        return;
    }
    if (rc) {
        xs_failed(a, rc, "write failed", now_ms);
        return;
    }
    if (a->xs_err || a->writes == 0)
        logmsg(LOG_NOTICE, "xenstore connected, reporting");
    a->xs_err = 0;
    a->backoff_ms = BACKOFF_MIN_MS;
    a->seq++;
    a->writes++;
    bd_report_commit(&a->st, s, now_ms, &a->o->report);
    logmsg(LOG_DEBUG,
           "report %" PRIu64 " (%s): available %" PRIu64 "/%" PRIu64
           " KiB, swapin %" PRIu64 "/s, majflt %" PRIu64 "/s, psi %u",
           a->seq, bd_report_reason_name(why), s->mem.available_kib,
           s->mem.total_kib, s->swapin_rate, s->majflt_rate,
           s->psi.some_x100);
}

/* Log optional sources only when their state changes. */
static void note_sources(struct agent *a)
{
    if (a->sm.vmstat_rc != a->vmstat_err) {
        if (a->sm.vmstat_rc)
            logmsg(LOG_WARNING, "%s: %s; rates not reported",
                   a->sm.vmstat_path, strerror(-a->sm.vmstat_rc));
        else
            logmsg(LOG_NOTICE, "%s: readable again", a->sm.vmstat_path);
        a->vmstat_err = a->sm.vmstat_rc;
    }
    if (a->sm.psi_rc != a->psi_err) {
        if (a->sm.psi_rc)
            logmsg(a->sm.psi_rc == -ENOENT || a->sm.psi_rc == -EOPNOTSUPP
                       ? LOG_INFO
                       : LOG_WARNING,
                   "%s: %s; PSI not reported", a->sm.psi_path,
                   strerror(-a->sm.psi_rc));
        else
            logmsg(LOG_NOTICE, "%s: readable again", a->sm.psi_path);
        a->psi_err = a->sm.psi_rc;
    }
}

static int run(const struct bd_agent_options *o)
{
    struct agent a;
    struct bd_agent_sample s;
    struct sigaction sa;
    sigset_t block, waitmask;
    uint64_t now, next;
    int rc;

    memset(&a, 0, sizeof(a));
    a.o = o;
    a.backoff_ms = BACKOFF_MIN_MS;
    bd_xs_init(&a.xs);
    rc = bd_sampler_init(&a.sm, o->proc_dir);
    if (rc) {
        logmsg(LOG_ERR, "%s: %s", o->proc_dir, strerror(-rc));
        return 1;
    }
    /* Fail in front of the user, before detaching, when there is nothing
     * to report at all. */
    next = mono_ms();
    rc = bd_sampler_read(&a.sm, next, &s);
    if (rc) {
        logmsg(LOG_ERR, "%s: %s", a.sm.meminfo_path, strerror(-rc));
        return 1;
    }
    if (!o->foreground) {
        rc = detach();
        if (rc) {
            logmsg(LOG_ERR, "cannot detach: %s", strerror(-rc));
            return 1;
        }
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL); /* a dropped xenstored socket */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);

    logmsg(LOG_INFO,
           "started: interval %" PRIu64 "ms, heartbeat %" PRIu64
           "ms, threshold %u.%02u%%",
           o->interval_ms, o->report.heartbeat_ms,
           o->report.threshold_x100 / 100, o->report.threshold_x100 % 100);

    while (!stop_signal) {
        /* Fixed schedule from the first sample; if we fell behind
         * (suspend, stall), skip ahead instead of sampling in a burst. */
        next += o->interval_ms;
        now = mono_ms();
        if (next <= now)
            next = now + o->interval_ms;
        sleep_until(next, &waitmask);
        if (stop_signal)
            break;

        now = mono_ms();
        if (!bd_xs_connected(&a.xs) && now >= a.next_connect_ms)
            connect_xs(&a, now);

        rc = bd_sampler_read(&a.sm, now, &s);
        if (rc != a.sample_err) {
            if (rc)
                logmsg(LOG_WARNING, "%s: %s; not reporting",
                       a.sm.meminfo_path, strerror(-rc));
            else
                logmsg(LOG_NOTICE, "%s: readable again", a.sm.meminfo_path);
            a.sample_err = rc;
        }
        if (rc)
            continue;
        note_sources(&a);
        /* Rates need two readings; while vmstat works but has no base yet
         * (just recovered), wait one interval rather than write a report
         * without rates. */
        if (bd_xs_connected(&a.xs))
            check_lost(&a);
        if (bd_xs_connected(&a.xs) && (s.has_rates || a.sm.vmstat_rc))
            report(&a, &s, now);
    }
    logmsg(LOG_INFO, "signal %d: exiting after %lu reports",
           (int)stop_signal, a.writes);
    bd_xs_disconnect(&a.xs);
    return 0;
}

int main(int argc, char **argv)
{
    struct bd_agent_options o;
    char err[256];
    int rc;

    rc = bd_agent_options_parse(argc, argv, &o, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "balloon-agent: %s\n", err);
        fprintf(stderr, "Try 'balloon-agent --help'.\n");
        return 2;
    }
    switch (o.action) {
    case BD_AGENT_HELP:
        bd_agent_usage(stdout);
        return 0;
    case BD_AGENT_VERSION:
        printf("balloon-agent %s\n", BD_VERSION);
        return 0;
    case BD_AGENT_RUN:
        break;
    }
    verbose = o.verbose;
    if (o.once)
        return print_once(&o);
    return run(&o);
}
