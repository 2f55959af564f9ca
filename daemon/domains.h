/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * domains.h - the domain table, kept in step with the host (domains.c).
 */
#ifndef BD_DOMAINS_H
#define BD_DOMAINS_H

#include "daemon/daemon.h"

int bd_daemon_init(struct bd_daemon *d, struct bd_config *cfg,
                   struct bd_host *host);
void bd_daemon_dispose(struct bd_daemon *d);
struct bd_domain *bd_domain_find(struct bd_daemon *d, uint32_t domid);
/* By exact name, else the one domain in transit (migration) whose final
 * name it is; NULL when none, or several, answer to it. */
struct bd_domain *bd_domain_by_name(struct bd_daemon *d, const char *name);
/* The name a domain keeps after a migration: name without xl's
 * "--incoming" / "--migratedaway" suffix (into buf, or name itself when
 * it has none or buf is too small).  Pure. */
const char *bd_domain_final_name(const char *name, char *buf, size_t len);
/* Watch for domains coming and going (@introduceDomain, @releaseDomain).
 * 0 or -errno. */
int bd_daemon_watch_domains(struct bd_daemon *d);
/* After the watch connection broke (d->watch_lost): a new connection,
 * the domain watches set again and a rescan asked for; clears watch_lost
 * and sets host_fd_changed.  0, -ENOTSUP (the host cannot), or -errno
 * (the next cycle tries again). */
int bd_daemon_rewatch(struct bd_daemon *d);
/* List domains and physinfo from the host; add/remove/watch domains. */
int bd_domains_scan(struct bd_daemon *d, uint64_t now_ms);
/* Recompute every domain's limits (after a reload or override change). */
void bd_domains_apply_config(struct bd_daemon *d);
void bd_domain_apply_limits(struct bd_daemon *d, struct bd_domain *dom);
/* Re-read one domain's memory/target + static-max; detect external
 * writers.  -ENOENT when the domain is gone. */
int bd_domain_read_memory(struct bd_daemon *d, struct bd_domain *dom,
                          uint64_t now_ms);
/* Re-read the guest stat keys (at most once per min_gap_ms). */
int bd_domain_read_stats(struct bd_daemon *d, struct bd_domain *dom,
                         uint64_t now_ms);
/* Handle one watch event.  *kick is set when a plan should run soon. */
void bd_domains_event(struct bd_daemon *d, const struct bd_host_event *ev,
                      uint64_t now_ms, bool *kick);
/* Expire holds and reservations. */
void bd_domains_expire(struct bd_daemon *d, uint64_t now_ms);
/* The guest reports memory pressure (bd_guest_pressure() of its report). */
bool bd_domain_pressure(const struct bd_domain *dom);
/* The kernel overhead counted for it now and where it comes from (*src):
 * policy.h's bd_overhead_kib() on its limits, report and track. */
uint64_t bd_domain_overhead_kib(const struct bd_domain *dom,
                                enum bd_overhead_src *src);
/* The range its target may take (decide.h), from its effective limits. */
struct bd_range bd_domain_range(const struct bd_domain *dom);
/* Memory promised to domains (target above current) but not yet taken,
 * except by domains known not to take it (stuck, clipped) and except. */
uint64_t bd_pending_growth_kib(const struct bd_daemon *d,
                               const struct bd_domain *except);
/* Its state as show and the metrics name it: "ok", "pinned", "stuck",
 * "dying", "suspect" ... */
const char *bd_domain_state(const struct bd_domain *dom);
/* Whether its report contradicts Xen: MemTotal, or the use it claims,
 * beyond what the domain holds or is given (max of current and target)
 * by more than BD_SUSPECT_SLACK, in a report sampled BD_SUSPECT_SETTLE_MS
 * after the last target change (a balloon in motion is not a lie). */
bool bd_domain_report_suspect(const struct bd_domain *dom);
/* Release an external hold or a pin (balloonctl auto). */
void bd_domain_release(struct bd_daemon *d, struct bd_domain *dom);

/* Read the stat keys of dirty domains that are due; returns when the next
 * one is due (0 = none waiting); *kick is set on a growth request. */
uint64_t bd_domains_process_dirty(struct bd_daemon *d, uint64_t now_ms,
                                  bool *kick);

/* Minimum gap between two reads of one guest's stat keys. */
#define BD_STATS_MIN_GAP_MS 1000
/* A guest's bad reports are logged at most this often. */
#define BD_STATS_WARN_GAP_MS (10 * 60 * 1000)
/* A XenServer pair caught between its two writes (free above total) is
 * "being written" this long before it counts as a bad report. */
#define BD_STATS_TORN_MS (10 * 1000)
/* A report claiming this much (or 1/8) beyond what its domain holds,
 * this long after a target change, is marked "suspect". */
#define BD_SUSPECT_SLACK_KIB (64 * 1024)
#define BD_SUSPECT_SETTLE_MS (10 * 1000)
/* A quiet write-on-change report's keys are read again this often. */
#define BD_STATS_RECHECK_MS (60 * 1000)

#endif /* BD_DOMAINS_H */
