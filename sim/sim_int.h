/*
 * sim_int.h - the simulator's private structures, shared by sim.c (the
 * model) and scenario.c (the named scenarios and their schedules).  Not
 * for users of the simulator: they go through sim.h.
 */
#ifndef BD_SIM_INT_H
#define BD_SIM_INT_H

#include "sim/sim.h"

struct bd_sim_guest {
    uint32_t domid;
    char *name;
    struct bd_sim_guest_cfg cfg; /* name and trace point at our copies */
    uint64_t *trace;
    size_t trace_len;
    uint64_t current_kib;
    uint64_t target_kib;
    uint64_t demand_kib;
    bool has_report;
    uint64_t seq;
    uint64_t next_report_ms;
    struct bd_sim_report report;
    struct bd_sim_stats stats;
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
    char err[160];
};

/* Sum of current_kib over all guests. */
uint64_t bd_sim_used_kib(const struct bd_sim *sim);

#endif /* BD_SIM_INT_H */
