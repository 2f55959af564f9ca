/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto.h - the balloond control protocol: one JSON object per line.
 *
 * Design: every request line is parsed and fully validated here, in one
 * place, into a plain typed struct (struct bd_ctl_request), so that neither
 * the socket server nor the daemon's handlers ever look at JSON input.  The
 * parser is strict: the protocol version must match, the command must be
 * known, every field must have the right type and be within its range, and
 * an unknown field is an error (a typo must not be silently ignored).
 *
 *   Request:  {"version":1,"cmd":"<name>", ...fields}\n   (<= 4096 bytes)
 *   Reply:    {"version":1,"ok":true, ...}\n
 *             {"version":1,"ok":false,"error":"<one line>"}\n
 *
 * Request fields per command (a domain is a name string or a domid integer):
 *   status                                      (read-only)
 *   show     domains?: [domain, ...]            (read-only; absent = all)
 *   set      domain, target_kib, force?          (force: below guest use)
 *   auto     domain
 *   limits   domain, min_kib?, max_kib?, weight?, mode?, reset?, force?
 *   reserve  kib, timeout_ms?, force?           (default 30 s; force:
 *                                                cutting guests below use)
 *   release  id
 *   reload
 *   metrics                                     (read-only)
 *   explain  domain                             (read-only)
 *
 * Reply fields are written by the daemon's handlers (daemon/control/control.h);
 * the helpers below write the structured ones so that the key names live
 * here, next to the client code that reads them (cli/).
 *
 * Every string a reply holds is valid UTF-8, whatever it quotes: the
 * bd_gen_*() helpers replace malformed bytes with '?'.
 *
 * Replies are not limited to 4096 bytes (show/metrics of a big host), but
 * clients cap what they accept at BD_PROTO_MAX_REPLY.
 */
#ifndef BD_PROTO_H
#define BD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "common/limits.h"
#include "common/modes.h"

#define BD_PROTO_VERSION 1
/* Longest request line, including its '\n'. */
#define BD_PROTO_MAX_LINE 4096
/* Longest reply a client accepts, including its '\n'. */
#define BD_PROTO_MAX_REPLY (16u * 1024 * 1024)
/* Longest domain name, in bytes (without NUL). */
#define BD_PROTO_NAME_MAX 127
/* Most domains one show request may name. */
#define BD_PROTO_MAX_DOMAINS 64
/* Longest error message, including NUL. */
#define BD_PROTO_ERR_MAX 256
/* Largest reserve timeout: 1 hour. */
#define BD_PROTO_MAX_TIMEOUT_MS (UINT64_C(3600) * 1000)
#define BD_PROTO_DEFAULT_TIMEOUT_MS (UINT64_C(30) * 1000)
/* The words of set's refusal when the host is short of free memory;
 * balloonctl set then reserves what it lacks and sets again. */
#define BD_PROTO_MSG_SHORT "more than is free"
/* Largest domid a request may name. */
#define BD_PROTO_MAX_DOMID BD_DOMID_MAX
/* Weight range, as in the config file. */
#define BD_PROTO_MIN_WEIGHT 1u
#define BD_PROTO_MAX_WEIGHT 10000u
/* Reservation ids are 1 .. 2^53 (exact in every JSON reader). */
#define BD_PROTO_MAX_ID (UINT64_C(1) << 53)

enum bd_ctl_cmd {
    BD_CTL_STATUS = 0,
    BD_CTL_SHOW,
    BD_CTL_SET,
    BD_CTL_AUTO,
    BD_CTL_LIMITS,
    BD_CTL_RESERVE,
    BD_CTL_RELEASE,
    BD_CTL_RELOAD,
    BD_CTL_METRICS,
    BD_CTL_EXPLAIN,
    BD_CTL__COUNT
};

/* "status", ... ; NULL for an out-of-range value. */
const char *bd_ctl_cmd_name(enum bd_ctl_cmd c);
/* Whether a command only reads (status, show, metrics, explain). */
bool bd_ctl_cmd_readonly(enum bd_ctl_cmd c);

/* A domain as a client names it.  by_id: domid is valid, name is "".
 * Otherwise name is a non-empty printable string without control
 * characters, at most BD_PROTO_NAME_MAX bytes. */
struct bd_ctl_domref {
    bool by_id;
    uint32_t domid;
    char name[BD_PROTO_NAME_MAX + 1];
};

struct bd_ctl_limits_args {
    struct bd_ctl_domref domain;
    bool has_min, has_max, has_weight, has_mode;
    uint64_t min_kib; /* <= BD_SIZE_MAX_KIB */
    uint64_t max_kib; /* <= BD_SIZE_MAX_KIB; >= min_kib when both are set */
    uint32_t weight;  /* BD_PROTO_MIN_WEIGHT .. BD_PROTO_MAX_WEIGHT */
    enum bd_mode mode;
    bool reset;       /* drop every runtime limit; never with the others */
    bool force;       /* a max below the guest's use is meant */
};

/* A validated request.  Only the fields of req.cmd are meaningful; the rest
 * are zero.  Plain data: no dispose needed. */
struct bd_ctl_request {
    enum bd_ctl_cmd cmd;
    /* show: n_domains == 0 means every domain */
    struct bd_ctl_domref domains[BD_PROTO_MAX_DOMAINS];
    size_t n_domains;
    /* set, auto, explain */
    struct bd_ctl_domref domain;
    uint64_t target_kib;            /* set: 1 .. BD_SIZE_MAX_KIB */
    bool force;                     /* set, reserve: below the guest's use
                                       is meant */
    struct bd_ctl_limits_args limits;
    uint64_t kib;                   /* reserve: 1 .. BD_SIZE_MAX_KIB */
    uint64_t timeout_ms;            /* reserve: 0 .. BD_PROTO_MAX_TIMEOUT_MS */
    uint64_t id;                    /* release: 1 .. BD_PROTO_MAX_ID */
};

/*
 * Parse and validate one request line (without or with its trailing '\n';
 * len excludes nothing else).  Returns 0 and fills *req, or -EINVAL /
 * -EMSGSIZE / -EPROTO (wrong version) with a one-line message in err
 * (BD_PROTO_ERR_MAX bytes).
 */
int bd_proto_parse_request(const char *line, size_t len,
                           struct bd_ctl_request *req, char *err);

/* ---- quoting untrusted bytes ------------------------------------------ */

/* Whether s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * surrogates, code points above U+10FFFF or cut sequences). */
bool bd_proto_utf8_valid(const char *s, size_t len);

/*
 * Quote untrusted bytes (a client's request, a guest's or a config's
 * text) for a message: copies at most max_bytes of s (up to its NUL) into
 * out (outlen bytes, always NUL-terminated) as one line of valid UTF-8.
 * A byte that is not part of a well-formed character becomes '?', a
 * control character ' ', and a character is never cut: one that does not
 * fit in max_bytes or in out is left out whole.  Returns out.
 */
char *bd_proto_quote(char *out, size_t outlen, const char *s,
                     size_t max_bytes);

/* ---- reply writing (daemon side) --------------------------------------- */

/* Small typed yajl helpers: write "key": value into an open map.  All return
 * 0 or -ENOMEM/-EINVAL (a yajl generator error). */
int bd_gen_key(yajl_gen g, const char *key);
int bd_gen_str(yajl_gen g, const char *key, const char *val); /* NULL: null */
int bd_gen_u64(yajl_gen g, const char *key, uint64_t val);
int bd_gen_bool(yajl_gen g, const char *key, bool val);
int bd_gen_null(yajl_gen g, const char *key);

/* One domain as `show` reports it. */
struct bd_ctl_dom_info {
    uint32_t domid;
    const char *name;
    uint64_t current_kib;
    uint64_t target_kib;
    uint64_t min_kib;        /* effective (config + runtime limits) */
    uint64_t max_kib;
    uint64_t static_max_kib;
    uint32_t weight;
    enum bd_mode mode;
    const char *state;       /* bd_state_name(): "ok", "pinned", "stuck" ... */
    bool has_stats;          /* false: used/available are null */
    uint64_t used_kib;
    uint64_t available_kib;
    bool available_unknown;  /* the report has no total (Qubes' one
                                number): available_kib is null */
    bool pressure;
    const char *reason;      /* last decision, one line; NULL = "" */
    uint64_t pin_kib;        /* 0 = not pinned (key "pin_kib": null) */
    uint64_t would_kib;      /* --dry-run: the target it would have
                                written; 0 = none ("would_kib": null) */
    uint64_t overhead_kib;   /* kernel overhead counted with its use */
    const char *overhead_source; /* "learned", "estimated", "configured";
                                    NULL: none counted (both keys null) */
};
/* Writes one complete domain object {"domid":..,...} (an array element). */
int bd_proto_gen_domain(yajl_gen g, const struct bd_ctl_dom_info *d);

/* One reservation as `status` lists it. */
struct bd_ctl_res_info {
    uint64_t id;
    uint64_t kib;
    bool granted;     /* free and held; else still being freed */
    uint64_t left_ms; /* until it is given up (waiting) or expires (held) */
};

/* What `status` reports. */
struct bd_ctl_status_info {
    const char *daemon_version;
    uint32_t pid;
    uint64_t uptime_ms;
    const char *config_path;
    const char *host;               /* "xen" or "sim:SCENARIO" */
    bool dry_run;
    uint64_t host_total_kib;
    uint64_t host_free_kib;
    uint64_t reserve_kib;           /* configured host reserve */
    uint64_t reserved_kib;          /* held by reservations now */
    uint32_t n_reservations;
    uint64_t start_pool_kib;        /* kept free for starts, not lent */
    uint64_t capacity_now_kib;      /* a new domain could get now */
    uint64_t capacity_reclaim_kib;  /* ...after reclaim above guests' use */
    uint32_t domains;               /* domains seen */
    uint32_t domains_managed;       /* of them in auto mode */
    bool has_last_rebalance;
    uint64_t last_rebalance_ago_ms; /* since the last plan that wrote */
    uint64_t rebalances;            /* plans that wrote at least one target */
    uint64_t target_writes;
    uint64_t errors;
    const char *last_error;         /* e.g. a failed reload; NULL = none */
    const char *const *warnings;    /* active warnings, one line each */
    size_t n_warnings;
    const struct bd_ctl_res_info *res; /* "reservation_list" */
    size_t n_res;
};
/* Writes the status keys into the open reply map. */
int bd_proto_gen_status(yajl_gen g, const struct bd_ctl_status_info *s);

/* The inputs and figures of a domain's last plan, for `explain`. */
struct bd_ctl_explain_plan {
    bool has_plan;              /* false: the "plan" figures are null */
    bool has_stats;             /* false: reported use null, and the
                                   overhead too unless configured */
    uint64_t reported_used_kib; /* what the guest says it uses */
    uint64_t overhead_kib;      /* kernel overhead counted */
    const char *overhead_source; /* "learned", "estimated", "configured"
                                    (common/modes.h); NULL = none known */
    uint64_t use_kib;           /* counted: reported + overhead */
    uint64_t need_kib, want_kib, share_kib;
    uint64_t lo_kib, hi_kib;    /* planning bounds */
    uint64_t planned_kib;       /* the plan's target */
    const char *pressure_signal; /* "psi", "swap-in", "major-faults", NULL */
    uint64_t pressure_value;    /* psi: percent * 100; others: per second */
    const char *note;           /* why the write waits ("" = none) */
};
/* One target change, oldest first in "history". */
struct bd_ctl_change {
    uint64_t ago_ms;
    uint64_t from_kib, to_kib;
    bool dry_run;               /* only logged (--dry-run) */
    const char *reason;
};
/* Writes "plan": {...} and "history": [...] into the open reply map. */
int bd_proto_gen_explain(yajl_gen g, const struct bd_ctl_explain_plan *p,
                         const struct bd_ctl_change *ch, size_t n);

/* Result of a reservation (see bd_ctl_reserve_finish()). */
struct bd_ctl_reserve_result {
    bool ok;                 /* the requested memory is free and held */
    uint64_t id;             /* ok: reservation id for `release` */
    uint64_t kib;            /* requested */
    uint64_t achieved_kib;   /* freed for this reservation (== kib if ok) */
    uint64_t hold_ms;        /* ok: held this long unless released */
    char error[BD_PROTO_ERR_MAX]; /* !ok: one line ("" = generic message) */
};
/* Writes the complete reply object for a reservation result into g (a fresh
 * generator; the server adds the '\n'). */
int bd_proto_gen_reserve_reply(yajl_gen g,
                               const struct bd_ctl_reserve_result *r);

/* Writes a complete {"version":1,"ok":false,"error":msg} object into a
 * fresh generator (no '\n').  msg goes through bd_proto_quote() (at most
 * BD_PROTO_ERR_MAX - 1 bytes). */
int bd_proto_gen_error(yajl_gen g, const char *msg);

/* ---- request writing and reply reading (client side) -------------------- */

/* A fresh generator for a request: map open, "version" and "cmd" written. */
yajl_gen bd_proto_request_begin(enum bd_ctl_cmd cmd);
/* Writes "key": domain (integer for by_id, else string). */
int bd_gen_domref(yajl_gen g, const char *key, const struct bd_ctl_domref *d);

/* Parse a domain argument as a user types it: all digits = domid, else a
 * name.  Returns 0 or -EINVAL with a static reason in *why. */
int bd_proto_domref_parse(const char *s, struct bd_ctl_domref *out,
                          const char **why);

#endif /* BD_PROTO_H */
