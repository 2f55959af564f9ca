/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client.h - balloonctl's side of the control socket, and helpers shared by
 * its commands (reply fields, safe printing, the domain table).
 *
 * Design: every command is one request and one reply on a fresh connection
 * (balloond serves many clients; a connection is cheap), with a deadline so
 * that a stuck daemon gives exit code 3 instead of a hung shell.
 */
#ifndef BCTL_CLIENT_H
#define BCTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Exit codes (balloonctl(8)). */
#define BCTL_EXIT_OK 0
#define BCTL_EXIT_FAILED 1      /* balloond answered: the operation failed */
#define BCTL_EXIT_USAGE 2
#define BCTL_EXIT_UNREACHABLE 3 /* no (valid) answer from balloond */

#define BCTL_DEFAULT_SOCKET "/run/balloond/control"
/* How long to wait for an answer, beyond the request's own timeout. */
#define BCTL_REPLY_TIMEOUT_MS 30000

/* "balloonctl: " + message + "\n" on stderr; control characters in the
 * message are replaced (it may quote the daemon or the user). */
void bctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Send the request in g (begun with bd_proto_request_begin() and filled;
 * this closes its map and frees nothing) to the socket at path, and wait up
 * to timeout_ms for the reply line.
 *
 * Returns BCTL_EXIT_OK (reply ok:true), BCTL_EXIT_FAILED (ok:false) with
 * *reply set in both cases (free with yajl_tree_free()), or
 * BCTL_EXIT_UNREACHABLE (*reply NULL).  Transport problems are described
 * in errbuf (one line; what to do) when errbuf is given, else printed.
 */
int bctl_call(const char *path, yajl_gen g, uint64_t timeout_ms,
              yajl_val *reply, char *errbuf, size_t errlen);

/* Deepest reply accepted (balloond's are 3 deep: object, array, object). */
#define BCTL_MAX_REPLY_DEPTH 32

/*
 * Parse one reply line (len bytes without its '\n'; line[len] must be
 * writable and is set to NUL) and check its envelope.  Size and nesting
 * depth are bounded before any tree is built.  Returns as bctl_call().
 */
int bctl_parse_reply(char *line, size_t len, yajl_val *reply, char *errbuf,
                     size_t errlen);

/* Reply fields: NULL / false when absent or of another type. */
yajl_val bctl_get(yajl_val obj, const char *key);
const char *bctl_get_str(yajl_val obj, const char *key);
bool bctl_get_u64(yajl_val obj, const char *key, uint64_t *out);
bool bctl_get_bool(yajl_val obj, const char *key);

/* Copy s into buf with control characters replaced by '?' (names and
 * reasons come from balloond and guests: never let them drive the
 * terminal).  Returns buf. */
char *bctl_clean(const char *s, char *buf, size_t len);

/* Human size ("1.50G"), "-" for a missing value. */
const char *bctl_size(yajl_val obj, const char *key, char *buf, size_t len);

/* Write v into g as it is.  0 or -EIO. */
int bctl_gen_value(yajl_gen g, yajl_val v);

/* Print v as JSON on one line; when strip_head, without the top-level
 * "version" and "ok" keys.  Returns 0 or -EIO. */
int bctl_print_json(FILE *f, yajl_val v, bool strip_head);

/* Orders of the domain table (show --sort, top). */
enum bctl_sort {
    BCTL_SORT_ID = 0, /* ascending */
    BCTL_SORT_NAME,
    BCTL_SORT_CURRENT, /* sizes: biggest first */
    BCTL_SORT_TARGET,
    BCTL_SORT_USED,
    BCTL_SORT_STATE,
    BCTL_SORT__COUNT
};
/* "id", "name", "current", "target", "used", "state": 0 or -EINVAL. */
int bctl_sort_parse(const char *s, enum bctl_sort *out);
const char *bctl_sort_name(enum bctl_sort k);

struct bctl_table_opts {
    bool wide;         /* every column (xl list -l style); else the ones
                          that fit 80 columns: name, id, current, target,
                          used, state, reason */
    unsigned width;    /* cut lines at this many columns; 0: never */
    size_t max_rows;   /* at most this many domain rows; 0: all */
    enum bctl_sort sort;
};

/* The `show` table (header + one row per domain of the "domains" array);
 * t NULL: every column, uncut, by id. */
void bctl_print_domains(FILE *f, yajl_val domains,
                        const struct bctl_table_opts *t);

/* A terminal at least this wide gets every column. */
#define BCTL_WIDE_COLS 132
/* The width of the terminal on fd, 0 when it is not one. */
unsigned bctl_term_cols(int fd);

/* The `status` summary, as lines of text. */
void bctl_print_status(FILE *f, yajl_val st);

/* The `explain` reply: the domain, its last plan's figures, its target
 * changes. */
void bctl_print_explain(FILE *f, yajl_val r);

#endif /* BCTL_CLIENT_H */
