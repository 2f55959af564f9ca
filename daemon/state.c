/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.c - what must survive a restart: pins, runtime limits, holds.
 *
 * Design: everything else (targets, current sizes, guest reports) is
 * rebuilt from Xen and xenstore after a restart, so the state file holds
 * only what an administrator asked for at run time.  It is a small text
 * file, one line per domain:
 *
 *     balloond-state 1
 *     dom 5 pin=524288 min=262144 weight=200 mode=auto name=web1
 *
 * (sizes in KiB; hold=K hold-until=EPOCH for an external hold; the name
 * comes last so that it may contain spaces), and one line per granted
 * reservation, memory held for a domain about to start:
 *
 *     res 3 kib=1048576 until=EPOCH
 *
 * so that a restart in the middle of a start (balloonctl create, the
 * libvirt hook) keeps holding it, under the same id, until it is released
 * or its hold ends; never for longer than reserve-hold from the restart.
 * A waiting reservation is not kept: its client went with the connection.
 * An entry applies only to the same domain (same domid and name) when it
 * is seen again, so a re-created domain starts clean (of several entries
 * for one domid, the one with the domain's name applies, the last such
 * line if several).
 * hold-until is range-checked: past year 9999 the file is damaged, and a
 * hold is never restored for longer than the longest duration the config
 * accepts, so it converts to milliseconds without overflow.  Writes are
 * atomic: a temporary file in the same directory, fsync, rename over the
 * old one, fsync of the directory, so kill -9 or a power cut leaves the
 * old or the new file, never half of one.  A corrupt file is reported and ignored as a whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/size.h"
#include "daemon/base/atomic.h"
#include "daemon/base/log.h"
#include "daemon/daemon.h"
#include "daemon/state.h"

#define STATE_MAGIC "balloond-state 1"
#define STATE_MAX_BYTES (1024 * 1024)
#define STATE_MAX_ENTRIES 4096
/* hold-until beyond the end of year 9999 is not a time, it is damage. */
#define STATE_MAX_WALL INT64_C(253402300799)
/* A hold never lasts longer than the longest duration the config takes
 * (external-hold): a later end is cut to this from now. */
#define STATE_MAX_HOLD_S ((int64_t)(BD_DURATION_MAX_MS / 1000))

static bool has_state(const struct bd_domain *dom)
{
    const struct bd_override *o = &dom->ovr;
    return dom->pin_kib || dom->hold_kib || o->has_min || o->has_max ||
           o->has_weight || o->has_mode;
}

static bool name_ok(const char *name)
{
    if (!name[0])
        return false;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int bd_state_save(const struct bd_daemon *d, const char *path,
                  uint64_t now_ms)
{
    char *buf = NULL;
    size_t cap = 0;
    FILE *mem = NULL;
    int rc;
    time_t wall = time(NULL);

    if (!path)
        return 0;
    mem = open_memstream(&buf, &cap);
    if (!mem)
        return -ENOMEM;
    fprintf(mem, "%s\n", STATE_MAGIC);
    for (size_t i = 0; i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        const struct bd_override *o = &dom->ovr;

        if (!has_state(dom) || !name_ok(dom->name))
            continue;
        fprintf(mem, "dom %" PRIu32, dom->domid);
        if (dom->pin_kib)
            fprintf(mem, " pin=%" PRIu64, dom->pin_kib);
        if (o->has_min)
            fprintf(mem, " min=%" PRIu64, o->min_kib);
        if (o->has_max)
            fprintf(mem, " max=%" PRIu64, o->max_kib);
        if (o->has_weight)
            fprintf(mem, " weight=%" PRIu32, o->weight);
        if (o->has_mode)
            fprintf(mem, " mode=%s", bd_mode_name(o->mode));
        if (dom->hold_kib) {
            /* A hold restored from the file but not yet on our clock
             * keeps its wall-clock end. */
            int64_t until = dom->hold_until_wall;
            if (dom->hold_until_ms)
                until = (int64_t)wall +
                        (int64_t)((dom->hold_until_ms > now_ms
                                       ? dom->hold_until_ms - now_ms
                                       : 0) /
                                  1000) +
                        1;
            fprintf(mem, " hold=%" PRIu64 " hold-until=%" PRId64,
                    dom->hold_kib, until);
        }
        fprintf(mem, " name=%s\n", dom->name);
    }
    for (size_t i = 0; i < d->n_res; i++) {
        const struct bd_reservation *r = &d->res[i];
        uint64_t left = r->expires_ms > now_ms ? r->expires_ms - now_ms : 0;

        if (r->granted)
            fprintf(mem, "res %" PRIu64 " kib=%" PRIu64 " until=%" PRId64
                    "\n", r->id, r->kib,
                    (int64_t)wall + (int64_t)(left / 1000) + 1);
    }
    if (fclose(mem) != 0) {
        mem = NULL;
        rc = -ENOMEM;
        goto out;
    }
    mem = NULL;
    rc = bd_write_file_atomic(path, buf, strlen(buf), 0600, true, true);
out:
    if (mem)
        fclose(mem);
    free(buf);
    return rc;
}

static int parse_kib_field(const char *v, uint64_t *out)
{
    const char *why;
    return bd_parse_uint(v, 1, BD_SIZE_MAX_KIB, out, &why);
}


/* Parse one "dom ..." line (NUL-terminated, no newline). */
static int parse_line(char *line, struct bd_state_entry *e, const char **why)
{
    char *p = line, *sp;
    uint64_t v;
    bool have_name = false;

    memset(e, 0, sizeof(*e));
    if (strncmp(p, "dom ", 4) != 0) {
        *why = "unknown line";
        return -EINVAL;
    }
    p += 4;
    sp = strchr(p, ' ');
    if (!sp) {
        *why = "no fields";
        return -EINVAL;
    }
    *sp = '\0';
    if (bd_parse_uint(p, 0, BD_DOMID_MAX, &v, why) < 0)
        return -EINVAL;
    e->domid = (uint32_t)v;
    p = sp + 1;
    while (*p) {
        char *eq, *val;

        if (strncmp(p, "name=", 5) == 0) {
            if (strlen(p + 5) >= sizeof(e->name) || !name_ok(p + 5)) {
                *why = "bad name";
                return -EINVAL;
            }
            strcpy(e->name, p + 5);
            have_name = true;
            break;
        }
        sp = strchr(p, ' ');
        if (!sp) {
            *why = "line does not end with name=";
            return -EINVAL;
        }
        *sp = '\0';
        eq = strchr(p, '=');
        if (!eq) {
            *why = "field without =";
            return -EINVAL;
        }
        *eq = '\0';
        val = eq + 1;
        if (strcmp(p, "pin") == 0) {
            if (parse_kib_field(val, &e->pin_kib) < 0)
                goto bad_value;
        } else if (strcmp(p, "min") == 0) {
            if (bd_parse_uint(val, 0, BD_SIZE_MAX_KIB, &e->ovr.min_kib,
                              why) < 0)
                goto bad_value;
            e->ovr.has_min = true;
        } else if (strcmp(p, "max") == 0) {
            if (parse_kib_field(val, &e->ovr.max_kib) < 0)
                goto bad_value;
            e->ovr.has_max = true;
        } else if (strcmp(p, "weight") == 0) {
            if (bd_parse_uint(val, 1, 10000, &v, why) < 0)
                goto bad_value;
            e->ovr.weight = (uint32_t)v;
            e->ovr.has_weight = true;
        } else if (strcmp(p, "mode") == 0) {
            if (bd_mode_parse(val, &e->ovr.mode) < 0)
                goto bad_value;
            e->ovr.has_mode = true;
        } else if (strcmp(p, "hold") == 0) {
            if (parse_kib_field(val, &e->hold_kib) < 0)
                goto bad_value;
        } else if (strcmp(p, "hold-until") == 0) {
            if (bd_parse_uint(val, 0, (uint64_t)STATE_MAX_WALL, &v,
                              why) < 0)
                goto bad_value;
            e->hold_until_wall = (int64_t)v;
        } else {
            *why = "unknown field";
            return -EINVAL;
        }
        p = sp + 1;
    }
    if (!have_name) {
        *why = "no name";
        return -EINVAL;
    }
    if (e->ovr.has_min && e->ovr.has_max && e->ovr.min_kib > e->ovr.max_kib) {
        *why = "min above max";
        return -EINVAL;
    }
    return 0;
bad_value:
    *why = "bad value";
    return -EINVAL;
}

/* Parse one "res ID kib=K until=EPOCH" line into r (granted, its end in
 * wall-clock seconds in *until). */
static int parse_res(char *line, struct bd_reservation *r, int64_t *until,
                     const char **why)
{
    uint64_t id, kib, u;
    char *f[3], *save = NULL;
    int n = 0;

    memset(r, 0, sizeof(*r));
    for (char *t = strtok_r(line + 4, " ", &save); t;
         t = strtok_r(NULL, " ", &save)) {
        if (n == 3) {
            *why = "reservation: too many fields";
            return -EINVAL;
        }
        f[n++] = t;
    }
    *why = "reservation: want ID kib=K until=EPOCH";
    if (n != 3 || strncmp(f[1], "kib=", 4) || strncmp(f[2], "until=", 6) ||
        bd_parse_uint(f[0], 1, UINT64_MAX - 1, &id, why) < 0 ||
        parse_kib_field(f[1] + 4, &kib) < 0 ||
        bd_parse_uint(f[2] + 6, 0, (uint64_t)STATE_MAX_WALL, &u, why) < 0)
        return -EINVAL;
    r->id = id;
    r->kib = kib;
    r->granted = true;
    *until = (int64_t)u;
    return 0;
}

/* A saved reservation back in d->res, held for what was left of it, at
 * most reserve-hold from now; one that ended is dropped. */
static int restore_res(struct bd_daemon *d, char *line, uint64_t now_ms,
                       const char **why)
{
    struct bd_reservation r;
    int64_t until, left_s;
    uint64_t hold_ms = d->cfg->reserve_hold_ms;
    char a[32];

    if (parse_res(line, &r, &until, why) < 0)
        return -EINVAL;
    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].id == r.id) {
            *why = "reservation: id twice";
            return -EINVAL;
        }
    if (d->n_res >= BD_MAX_RESERVATIONS) {
        *why = "too many reservations";
        return -EINVAL;
    }
    left_s = until - (int64_t)time(NULL);
    if (left_s <= 0)
        return 0;
    if ((uint64_t)left_s * 1000 < hold_ms)
        hold_ms = (uint64_t)left_s * 1000;
    r.expires_ms = now_ms + hold_ms;
    d->res[d->n_res++] = r;
    if (d->next_res_id <= r.id)
        d->next_res_id = r.id + 1;
    bd_info("reservation %" PRIu64 ": %s held again after the restart, "
            "for %" PRIu64 " s", r.id, bd_format_kib(r.kib, a, sizeof(a)),
            hold_ms / 1000);
    return 0;
}

int bd_state_load(struct bd_daemon *d, const char *path, uint64_t now_ms)
{
    struct bd_state_entry *ents = NULL;
    size_t n = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    struct stat sb;
    FILE *f;
    const char *why = NULL;
    size_t n_res0 = d->n_res;
    uint64_t next_id0 = d->next_res_id;
    int rc;

    if (!path)
        return 0;
    f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        rc = -errno;
        bd_err("state file %s: %s; starting without saved overrides", path,
               strerror(-rc));
        return rc;
    }
    if (fstat(fileno(f), &sb) == 0 && sb.st_size > STATE_MAX_BYTES) {
        why = "file too large";
        rc = -EINVAL;
        goto out;
    }
    while ((len = getline(&line, &lcap, f)) >= 0) {
        struct bd_state_entry e, *ne;

        lineno++;
        if (len == 0 || line[len - 1] != '\n') {
            why = "truncated line";
            rc = -EINVAL;
            goto out;
        }
        line[len - 1] = '\0';
        if (strlen(line) != (size_t)len - 1) {
            why = "NUL byte";
            rc = -EINVAL;
            goto out;
        }
        if (lineno == 1) {
            if (strcmp(line, STATE_MAGIC) != 0) {
                why = "not a balloond state file (or another version)";
                rc = -EINVAL;
                goto out;
            }
            continue;
        }
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (strncmp(line, "res ", 4) == 0) {
            rc = restore_res(d, line, now_ms, &why);
            if (rc < 0)
                goto out;
            continue;
        }
        rc = parse_line(line, &e, &why);
        if (rc < 0)
            goto out;
        if (n >= STATE_MAX_ENTRIES) {
            why = "too many entries";
            rc = -EINVAL;
            goto out;
        }
        ne = realloc(ents, (n + 1) * sizeof(*ents));
        if (!ne) {
            rc = -ENOMEM;
            goto out;
        }
        ents = ne;
        ents[n++] = e;
    }
    if (lineno == 0) {
        why = "empty file";
        rc = -EINVAL;
        goto out;
    }
    free(d->pending);
    d->pending = ents;
    d->n_pending = n;
    ents = NULL;
    rc = 0;
out:
    if (rc == -EINVAL)
        bd_err("state file %s:%zu: %s; ignoring the saved overrides", path,
               lineno, why ? why : "invalid");
    if (rc < 0) {
        /* ignored as a whole: the reservations read before too */
        d->n_res = n_res0;
        d->next_res_id = next_id0;
    }
    free(ents);
    free(line);
    fclose(f);
    return rc;
}

/* Copy a loaded entry onto its domain; a hold that ended is dropped and
 * one that ends too far ahead is cut, so that turning it back into
 * milliseconds can never overflow. */
static void apply_entry(struct bd_domain *dom, const struct bd_state_entry *e)
{
    int64_t wall = (int64_t)time(NULL);
    char a[32];

    dom->ovr = e->ovr;
    dom->pin_kib = e->pin_kib;
    if (e->hold_kib && (e->hold_until_wall == 0 || e->hold_until_wall > wall)) {
        dom->hold_kib = e->hold_kib;
        dom->hold_until_wall = e->hold_until_wall;
        if (dom->hold_until_wall > wall + STATE_MAX_HOLD_S)
            dom->hold_until_wall = wall + STATE_MAX_HOLD_S;
    }
    bd_info("domain %s (%" PRIu32 "): restored saved overrides%s%s",
            dom->name, dom->domid, dom->pin_kib ? ", pinned at " : "",
            dom->pin_kib ? bd_format_kib(dom->pin_kib, a, sizeof(a)) : "");
}

/*
 * Entries are matched on domid and name.  Every entry of the domid is
 * used up (an entry of an older domain with this id is stale now); of
 * several for the same domain, the last line of the file wins.
 */
void bd_state_apply_pending(struct bd_daemon *d, struct bd_domain *dom)
{
    const struct bd_state_entry *match = NULL;
    struct bd_state_entry keep;
    size_t n = 0;

    for (size_t i = 0; i < d->n_pending; i++) {
        const struct bd_state_entry *e = &d->pending[i];
        if (e->domid == dom->domid && strcmp(e->name, dom->name) == 0)
            match = e;
    }
    if (match)
        keep = *match;
    /* In place, keeping the file's order for the next domains. */
    for (size_t i = 0; i < d->n_pending; i++)
        if (d->pending[i].domid != dom->domid)
            d->pending[n++] = d->pending[i];
    d->n_pending = n;
    if (match)
        apply_entry(dom, &keep);
}

void bd_state_pending_drop(struct bd_daemon *d)
{
    if (d->n_pending)
        d->state_dirty = true;
    free(d->pending);
    d->pending = NULL;
    d->n_pending = 0;
}
