/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sample.h - reading the guest's /proc into a struct bd_agent_sample.
 *
 * Design: the only file I/O of the measuring side.  It reads the three
 * files whole (they are generated on read, so each read is a consistent
 * snapshot of one file), hands the bytes to the pure parsers in procfs.c,
 * and keeps the previous vmstat counters to turn them into rates.  The
 * /proc root is a parameter so tests and --proc can point it at recorded
 * files.  MemInfo is required; vmstat and PSI are optional (their keys are
 * then absent) and their last error is kept for the caller to log.
 */
#ifndef BD_AGENT_SAMPLE_H
#define BD_AGENT_SAMPLE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/procfs.h"
#include "agent/report.h"

/* Rates are taken over at least 90% of this; shorter sampling intervals
 * repeat the last rates in between. */
#define BD_SAMPLER_RATE_WINDOW_MS 1000

struct bd_sampler {
    char meminfo_path[PATH_MAX];
    char vmstat_path[PATH_MAX];
    char psi_path[PATH_MAX];
    bool have_prev;         /* prev/prev_ms hold a reading */
    struct bd_vmstat prev;
    uint64_t prev_ms;
    struct bd_agent_sample last; /* rates of the last sample */
    uint64_t rate_window_ms;     /* BD_SAMPLER_RATE_WINDOW_MS */
    int vmstat_rc;          /* last result for vmstat: 0 or -errno */
    int psi_rc;             /* same for PSI (-ENOENT: kernel without PSI) */
    unsigned resets;        /* counter resets seen (for logs and tests) */
};

/* proc_dir is "/proc" normally.  Returns 0 or -ENAMETOOLONG. */
int bd_sampler_init(struct bd_sampler *sm, const char *proc_dir);

/*
 * Take one sample at now_ms (monotonic).  Returns 0 or the -errno of
 * reading or parsing meminfo, without which there is nothing to report.
 * Rates need a previous reading at least 90% of the rate window ago: the
 * first sample has has_rates false, and with sampling intervals shorter
 * than the window so have the samples until one window has passed.
 */
int bd_sampler_read(struct bd_sampler *sm, uint64_t now_ms,
                    struct bd_agent_sample *out);

/*
 * Read a whole file into buf (at most cap bytes).  Returns 0 with *len
 * set, -errno from open/read, or -EFBIG when the file does not fit.
 */
int bd_read_file(const char *path, char *buf, size_t cap, size_t *len);

#endif /* BD_AGENT_SAMPLE_H */
