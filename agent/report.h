/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.h - what balloon-agent reports, and when.
 *
 * Design: the agent samples /proc often (1 s) but writes to xenstore
 * rarely, because every write wakes balloond and costs a xenstored
 * transaction.  Whether to write is a pure function of the last report
 * written, the new sample, the time and the settings: bd_report_decide().
 * It writes at once on what a balloon policy must not learn late (a
 * significant change in available memory, the start or end of memory
 * pressure), faster while under pressure, and otherwise only at a slow
 * heartbeat so that balloond can tell a quiet guest from a dead agent.
 * bd_report_keys() turns a sample into the xenstore keys of the guest stat
 * contract (see the top-level brief / balloon-agent(8)), shared by the
 * xenstore writer and --once.
 */
#ifndef BD_AGENT_REPORT_H
#define BD_AGENT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/procfs.h"
#include "common/xskeys.h"

/* One reading of the guest's memory state. */
struct bd_agent_sample {
    struct bd_meminfo mem;
    bool has_rates;        /* two vmstat readings were available */
    uint64_t swapin_rate;  /* pages/s */
    uint64_t swapout_rate; /* pages/s */
    uint64_t majflt_rate;  /* faults/s */
    bool has_psi;          /* /proc/pressure/memory was readable */
    struct bd_psi psi;
};

#define BD_REPORT_DEF_THRESHOLD_X100 200          /* 2.00 % of MemTotal */
#define BD_REPORT_DEF_HEARTBEAT_MS 60000
#define BD_REPORT_DEF_PRESSURE_HEARTBEAT_MS 5000
#define BD_REPORT_DEF_SWAPIN_THRESHOLD 10         /* pages/s */
#define BD_REPORT_DEF_MAJFLT_THRESHOLD 100        /* faults/s */

struct bd_report_settings {
    /* A change of MemAvailable (or MemTotal) larger than this, in
     * hundredths of a percent of MemTotal, is written at once.  0: any. */
    uint32_t threshold_x100;
    uint64_t heartbeat_ms;          /* longest gap between two reports */
    uint64_t pressure_heartbeat_ms; /* the same while under pressure */
    uint64_t swapin_threshold;      /* pressure when swapin-rate >= this */
    uint64_t majflt_threshold;      /* or majflt-rate >= this */
};

void bd_report_settings_init(struct bd_report_settings *set);

/* The last report written; zero-initialised (valid = false) at start and
 * after each (re)connection to xenstore, which forces a full report. */
struct bd_report_state {
    bool valid;
    struct bd_agent_sample last;
    uint64_t written_ms;
    bool pressure; /* bd_sample_pressure() of last */
};

enum bd_report_reason {
    BD_REPORT_NONE = 0, /* nothing to write */
    BD_REPORT_INITIAL,  /* nothing written yet */
    BD_REPORT_CHANGE,   /* memory moved past the threshold, or a key
                         * appeared or disappeared */
    BD_REPORT_PRESSURE_ON,
    BD_REPORT_PRESSURE_OFF,
    BD_REPORT_HEARTBEAT,
};

const char *bd_report_reason_name(enum bd_report_reason r);

/* Is the guest under memory pressure: swapping in or major-faulting at or
 * above the thresholds, or PSI "some" avg10 above 0. */
bool bd_sample_pressure(const struct bd_agent_sample *s,
                        const struct bd_report_settings *set);

/* Should s be written now?  Pure; now_ms is the caller's monotonic clock. */
enum bd_report_reason bd_report_decide(const struct bd_report_state *st,
                                       const struct bd_agent_sample *s,
                                       uint64_t now_ms,
                                       const struct bd_report_settings *set);

/* Record that s was written at now_ms. */
void bd_report_commit(struct bd_report_state *st,
                      const struct bd_agent_sample *s, uint64_t now_ms,
                      const struct bd_report_settings *set);

/* ---- keys --------------------------------------------------------------- */

/* Relative to the guest's /local/domain/N. */
#define BD_KEY_MEM_TOTAL BD_XS_AGENT_MEM_TOTAL
#define BD_KEY_MEM_AVAILABLE BD_XS_AGENT_MEM_AVAILABLE
#define BD_KEY_SWAP_TOTAL BD_XS_AGENT_SWAP_TOTAL
#define BD_KEY_SWAP_FREE BD_XS_AGENT_SWAP_FREE
#define BD_KEY_SWAPIN_RATE BD_XS_AGENT_SWAPIN_RATE
#define BD_KEY_SWAPOUT_RATE BD_XS_AGENT_SWAPOUT_RATE
#define BD_KEY_MAJFLT_RATE BD_XS_AGENT_MAJFLT_RATE
#define BD_KEY_PSI_SOME BD_XS_AGENT_PSI_SOME
#define BD_KEY_PSI_FULL BD_XS_AGENT_PSI_FULL
#define BD_KEY_SEQ BD_XS_AGENT_SEQ
#define BD_KEY_XS_MEMINFO_TOTAL BD_XS_XE_MEMINFO_TOTAL
#define BD_KEY_XS_MEMINFO_FREE BD_XS_XE_MEMINFO_FREE
#define BD_KEY_FEATURE_BALLOON BD_XS_FEATURE_BALLOON

#define BD_REPORT_NKEYS 12

struct bd_report_kv {
    const char *key;
    bool present;   /* false: the key must not exist (removed if it does) */
    char value[24]; /* decimal, no sign; "" when !present */
};

/* Fill kv[BD_REPORT_NKEYS] for s, in write order; seq is always last.
 * Returns BD_REPORT_NKEYS. */
size_t bd_report_keys(const struct bd_agent_sample *s, uint64_t seq,
                      struct bd_report_kv kv[BD_REPORT_NKEYS]);

#endif /* BD_AGENT_REPORT_H */
