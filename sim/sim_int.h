/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim_int.h - the simulator's private structures, shared by sim.c (the
 * model), report.c (the guests' reporters and their keys) and scenario.c
 * (the named scenarios and their schedules).  Not for users of the
 * simulator: they go through sim.h.
 */
#ifndef BD_SIM_INT_H
#define BD_SIM_INT_H

#include "agent/report.h"
#include "sim/sim.h"

/* Longest value a reporter writes (a decimal number). */
#define BD_SIM_VAL_MAX 24

struct bd_sim_guest {
    uint32_t domid;
    char *name;
    struct bd_sim_guest_cfg cfg; /* name and trace point at our copies */
    uint64_t *trace;
    size_t trace_len;
    uint64_t current_kib;
    uint64_t target_kib;
    uint64_t demand_kib;
    /* for the shortfall's breakdown: when demand last rose, when the guest
     * last reported, when its target last changed (virtual ms) */
    uint64_t rise_ms, report_ms, target_ms;
    bool has_report;
    uint64_t seq;
    uint64_t next_report_ms; /* next sample of its reporter */
    struct bd_sim_report report;
    struct bd_sim_stats stats;
    /* The reporters' memory (report.c). */
    struct bd_report_state agent; /* balloon-agent's last written report */
    uint64_t qubes_used_kib;      /* meminfo-writer's last written value */
    bool xe_free_pending;         /* xe-daemon: free is written next step */
    char xe_free[BD_SIM_VAL_MAX];
    /* The guest's report keys as written (bit k of present: key k). */
    uint32_t present;
    char val[BD_SIM_XK_N][BD_SIM_VAL_MAX];
};

struct bd_sim {
    uint64_t capacity_kib;
    uint64_t outstanding_kib;
    uint64_t seed;
    uint64_t now_ms;
    uint32_t next_domid;
    struct bd_sim_guest *g; /* sorted by domid */
    size_t n;
    /* Scenario schedule, run at the start of every step (after the clock
     * moved); returns 0 or -errno.  sched_state is freed with the sim. */
    int (*schedule)(struct bd_sim *sim);
    void *sched_state;
    struct bd_sim_change *log; /* see bd_sim_changes() */
    size_t n_log, cap_log;
    bool log_overflow;
    char err[160];
};

/* The guest with this domid, or NULL (binary search). */
struct bd_sim_guest *bd_sim_find(const struct bd_sim *sim, uint32_t domid);

/* Sum of current_kib over all guests. */
uint64_t bd_sim_used_kib(const struct bd_sim *sim);

/* Append one change to the log (drops it and sets the overflow flag when
 * the log is full or cannot grow). */
void bd_sim_log(struct bd_sim *sim, uint32_t domid, int key);

/* report.c: the guest's reporter samples it now and writes its keys if it
 * would (g->next_report_ms is the caller's business); and the reporter's
 * default sampling interval. */
void bd_sim_reporter_run(struct bd_sim *sim, struct bd_sim_guest *g);
uint64_t bd_sim_reporter_default_ms(enum bd_sim_reporter r);

#endif /* BD_SIM_INT_H */
