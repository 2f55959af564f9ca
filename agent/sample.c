/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sample.c - /proc reading and rate bookkeeping for balloon-agent.
 *
 * Design: see sample.h.  One stack buffer per read, sized for the largest
 * file (vmstat, about 4 KiB on 6.x kernels with room for growth); a file
 * that fills it is reported as -EFBIG instead of being parsed half-read.
 */
#include "agent/sample.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define READ_CAP 32768

int bd_read_file(const char *path, char *buf, size_t cap, size_t *len)
{
    size_t got = 0;
    ssize_t r;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    for (;;) {
        if (got == cap) {
            rc = -EFBIG;
            goto out;
        }
        r = read(fd, buf + got, cap - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *len = got;
out:
    close(fd);
    return rc;
}

static int join(char *dst, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(dst, cap, "%s/%s", dir, name);

    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int bd_sampler_init(struct bd_sampler *sm, const char *proc_dir)
{
    int rc;

    memset(sm, 0, sizeof(*sm));
    sm->rate_window_ms = BD_SAMPLER_RATE_WINDOW_MS;
    rc = join(sm->meminfo_path, sizeof(sm->meminfo_path), proc_dir, "meminfo");
    if (!rc)
        rc = join(sm->vmstat_path, sizeof(sm->vmstat_path), proc_dir, "vmstat");
    if (!rc)
        rc = join(sm->psi_path, sizeof(sm->psi_path), proc_dir,
                  "pressure/memory");
    return rc;
}

/* Rate of one counter; a reset counts as 0 for this interval. */
static uint64_t rate_of(struct bd_sampler *sm, uint64_t prev, uint64_t cur,
                        uint64_t elapsed_ms)
{
    uint64_t rate = 0;

    if (bd_counter_rate(prev, cur, elapsed_ms, &rate) == 1)
        sm->resets++;
    return rate;
}

static void sample_vmstat(struct bd_sampler *sm, uint64_t now_ms,
                          struct bd_agent_sample *out)
{
    char buf[READ_CAP];
    struct bd_vmstat vs;
    uint64_t elapsed_ms;
    size_t len = 0;
    int rc;

    out->has_rates = false;
    rc = bd_read_file(sm->vmstat_path, buf, sizeof(buf), &len);
    if (!rc)
        rc = bd_vmstat_parse(buf, len, &vs);
    if (!rc && !vs.present)
        rc = -ENODATA;
    sm->vmstat_rc = rc;
    if (rc) {
        sm->have_prev = false;
        return;
    }
    /* A rate over a short interval is noise (13 faults in 100 ms are not
     * "130 faults/s"), so rates cover at least most of a rate window:
     * until then the last rates are repeated and the older base kept.
     * This also covers two samples in one millisecond, or a clock that
     * went back. */
    elapsed_ms = sm->have_prev && now_ms > sm->prev_ms ? now_ms - sm->prev_ms
                                                       : 0;
    if (sm->have_prev &&
        (elapsed_ms == 0 || elapsed_ms * 10 < sm->rate_window_ms * 9)) {
        out->swapin_rate = sm->last.swapin_rate;
        out->swapout_rate = sm->last.swapout_rate;
        out->majflt_rate = sm->last.majflt_rate;
        out->has_rates = sm->last.has_rates;
        return;
    }
    if (sm->have_prev) {
        out->swapin_rate = rate_of(sm, sm->prev.pswpin, vs.pswpin, elapsed_ms);
        out->swapout_rate =
            rate_of(sm, sm->prev.pswpout, vs.pswpout, elapsed_ms);
        out->majflt_rate =
            rate_of(sm, sm->prev.pgmajfault, vs.pgmajfault, elapsed_ms);
        out->has_rates = true;
    }
    sm->last.swapin_rate = out->swapin_rate;
    sm->last.swapout_rate = out->swapout_rate;
    sm->last.majflt_rate = out->majflt_rate;
    sm->last.has_rates = out->has_rates;
    sm->prev = vs;
    sm->prev_ms = now_ms;
    sm->have_prev = true;
}

static void sample_psi(struct bd_sampler *sm, struct bd_agent_sample *out)
{
    char buf[4096];
    size_t len = 0;
    int rc;

    rc = bd_read_file(sm->psi_path, buf, sizeof(buf), &len);
    if (!rc)
        rc = bd_psi_parse(buf, len, &out->psi);
    sm->psi_rc = rc;
    out->has_psi = rc == 0;
    if (rc)
        memset(&out->psi, 0, sizeof(out->psi));
}

int bd_sampler_read(struct bd_sampler *sm, uint64_t now_ms,
                    struct bd_agent_sample *out)
{
    char buf[READ_CAP];
    size_t len = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = bd_read_file(sm->meminfo_path, buf, sizeof(buf), &len);
    if (!rc)
        rc = bd_meminfo_parse(buf, len, &out->mem);
    if (rc)
        return rc;
    sample_vmstat(sm, now_ms, out);
    sample_psi(sm, out);
    return 0;
}
