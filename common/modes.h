/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modes.h - the names of domain modes, states and overhead sources: their
 * one home.
 *
 * Design: the config file, the state file, the control protocol, the
 * policy's reasons, balloonctl's tables and the metrics all speak of a
 * domain's mode (auto, fixed, ignore) and state (ok, no-stats, ...), and
 * `explain` of where its kernel overhead comes from; the enums and their
 * spellings live here and nowhere else.  Header-only and
 * dependency-free, so that common/, daemon/, cli/ and the tests share it
 * without link rules.
 */
#ifndef BD_MODES_H
#define BD_MODES_H

#include <errno.h>
#include <string.h>

/* How balloond treats a domain (config `mode`, or a runtime override). */
enum bd_mode {
    BD_MODE_AUTO = 0, /* balloond moves the target within [min, max] */
    BD_MODE_FIXED,    /* target held at fixed_kib (or where it is now) */
    BD_MODE_IGNORE,   /* not touched; its memory is simply "used" */
};
#define BD_MODE_COUNT 3

/* What a domain is doing, as shown by `balloonctl show`. */
enum bd_state {
    BD_STATE_OK = 0,
    BD_STATE_NO_STATS, /* guest reports nothing (or garbage, or stale) */
    BD_STATE_PINNED,   /* balloonctl set */
    BD_STATE_EXTERNAL, /* someone else wrote memory/target: held */
    BD_STATE_FIXED,
    BD_STATE_IGNORED,
    BD_STATE_STUCK,   /* no progress toward a lower target */
    BD_STATE_CLIPPED, /* stops short of a higher target (no hot-plug) */
};

/* "auto", "fixed", "ignore"; "unknown" for anything else. */
static inline const char *bd_mode_name(enum bd_mode m)
{
    switch (m) {
    case BD_MODE_AUTO:
        return "auto";
    case BD_MODE_FIXED:
        return "fixed";
    case BD_MODE_IGNORE:
        return "ignore";
    }
    return "unknown";
}

/* The mode named s (exactly, as bd_mode_name() spells it): 0, or
 * -EINVAL and *out untouched. */
static inline int bd_mode_parse(const char *s, enum bd_mode *out)
{
    for (int i = 0; i < BD_MODE_COUNT; i++)
        if (strcmp(s, bd_mode_name((enum bd_mode)i)) == 0) {
            *out = (enum bd_mode)i;
            return 0;
        }
    return -EINVAL;
}

/* Not a policy state: an "ok" domain whose report contradicts Xen (it
 * claims more than the domain holds), as show and the metrics mark it;
 * the policy already gives such a guest no more than its fair share. */
#define BD_STATE_SUSPECT_NAME "suspect"

/* "ok", "no-stats", "pinned", ...; "unknown" for anything else. */
static inline const char *bd_state_name(enum bd_state s)
{
    switch (s) {
    case BD_STATE_OK:
        return "ok";
    case BD_STATE_NO_STATS:
        return "no-stats";
    case BD_STATE_PINNED:
        return "pinned";
    case BD_STATE_EXTERNAL:
        return "external";
    case BD_STATE_FIXED:
        return "fixed";
    case BD_STATE_IGNORED:
        return "ignored";
    case BD_STATE_STUCK:
        return "stuck";
    case BD_STATE_CLIPPED:
        return "clipped";
    }
    return "unknown";
}

/* Where the kernel overhead counted for a domain (memory its kernel holds
 * outside the guest's MemTotal) comes from; daemon/policy/policy.h's
 * bd_overhead_kib() picks it. */
enum bd_overhead_src {
    BD_OVH_NONE = 0,   /* nothing known: counted as 0 */
    BD_OVH_LEARNED,    /* current - MemTotal of the guest's own report */
    BD_OVH_ESTIMATED,  /* the report has no MemTotal: from static-max */
    BD_OVH_CONFIGURED, /* kernel-overhead in balloond.conf */
};

/* "learned", "estimated", "configured"; NULL for none (or anything
 * else). */
static inline const char *bd_overhead_src_name(enum bd_overhead_src s)
{
    switch (s) {
    case BD_OVH_LEARNED:
        return "learned";
    case BD_OVH_ESTIMATED:
        return "estimated";
    case BD_OVH_CONFIGURED:
        return "configured";
    case BD_OVH_NONE:
        break;
    }
    return NULL;
}

#endif /* BD_MODES_H */
