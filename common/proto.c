/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto.c - parsing and validation of control requests, and reply writing.
 *
 * Design: a request line is at most 4096 bytes, so it is parsed whole with
 * yajl_tree after a cheap lexical pre-scan that rejects what yajl_tree
 * would accept but we must not: embedded NUL bytes, comments, escaped
 * control characters ("\u0000" would silently truncate a name), and
 * nesting deeper than any valid request needs (so a hostile client cannot
 * make the tree code recurse).  The tree is then walked against a
 * per-command table of allowed fields; numbers are read from their source
 * text (digits only, no sign, fraction or exponent) so that -1, 1.5, 1e3
 * and 2^64 are all rejected by name instead of being rounded or wrapped.
 *
 * Every error is one line, naming the field and what is expected, because
 * it goes back to the administrator verbatim.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "common/proto.h"
#include "common/size.h"

/* A valid request is an object holding at most one array of scalars. */
#define PROTO_MAX_DEPTH 2

static const char *const cmd_names[BD_CTL__COUNT] = {
    [BD_CTL_STATUS] = "status",   [BD_CTL_SHOW] = "show",
    [BD_CTL_SET] = "set",         [BD_CTL_AUTO] = "auto",
    [BD_CTL_LIMITS] = "limits",   [BD_CTL_RESERVE] = "reserve",
    [BD_CTL_RELEASE] = "release", [BD_CTL_RELOAD] = "reload",
    [BD_CTL_METRICS] = "metrics", [BD_CTL_EXPLAIN] = "explain",
};

/* Fields each command accepts besides "version" and "cmd". */
static const char *const cmd_fields[BD_CTL__COUNT][8] = {
    [BD_CTL_SHOW] = {"domains"},
    [BD_CTL_SET] = {"domain", "target_kib", "force"},
    [BD_CTL_AUTO] = {"domain"},
    [BD_CTL_LIMITS] = {"domain", "min_kib", "max_kib", "weight", "mode",
                       "reset", "force"},
    [BD_CTL_EXPLAIN] = {"domain"},
    [BD_CTL_RESERVE] = {"kib", "timeout_ms", "force"},
    [BD_CTL_RELEASE] = {"id"},
};

const char *bd_ctl_cmd_name(enum bd_ctl_cmd c)
{
    if ((unsigned)c >= BD_CTL__COUNT)
        return NULL;
    return cmd_names[c];
}

bool bd_ctl_cmd_readonly(enum bd_ctl_cmd c)
{
    return c == BD_CTL_STATUS || c == BD_CTL_SHOW || c == BD_CTL_METRICS ||
           c == BD_CTL_EXPLAIN;
}

/* ---- quoting untrusted bytes ---------------------------------------- */

/*
 * Length of the well-formed UTF-8 character at s (len bytes available):
 * 1..4, or 0 for a stray continuation byte, an overlong form, a surrogate,
 * a code point above U+10FFFF or a sequence cut short (RFC 3629, table 3-7
 * of the Unicode standard).  yajl's own check lets the middle three through.
 */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

bool bd_proto_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *bd_proto_quote(char *out, size_t outlen, const char *s,
                     size_t max_bytes)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strnlen(s, max_bytes), o = 0;

    if (outlen == 0)
        return out;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_len(p + i, len - i);

        if (n == 0) {
            /* A character cut by max_bytes is left out, not replaced. */
            if (len == max_bytes && s[len] != '\0' &&
                utf8_char_len(p + i, strnlen(s + i, 4)) > len - i)
                break;
            n = 1;
            if (o + 1 >= outlen)
                break;
            out[o++] = '?';
        } else if (n == 1) {
            if (o + 1 >= outlen)
                break;
            out[o++] = (p[i] < 0x20 || p[i] == 0x7f) ? ' ' : (char)p[i];
        } else {
            if (o + n >= outlen)
                break;
            memcpy(out + o, p + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    return out;
}

/* A request's bytes quoted in an error message: at most this many. */
#define QUOTE_MAX 40

static int fail(char *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, int rc, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(err, BD_PROTO_ERR_MAX, "invalid request: ");

    va_start(ap, fmt);
    vsnprintf(err + n, BD_PROTO_ERR_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * The pre-scan: NUL bytes, nesting depth, comments (which yajl_tree would
 * accept), and \u escapes of control characters.  It only has to be right
 * for text yajl will accept; anything else it lets through for yajl to
 * reject with its own message.
 */
static int prescan(const char *line, size_t len, char *err)
{
    bool in_str = false;
    int depth = 0;

    for (size_t i = 0; i < len; i++) {
        char c = line[i];

        if (c == '\0')
            return fail(err, -EINVAL, "contains a NUL byte");
        if (in_str) {
            if (c == '"') {
                in_str = false;
            } else if (c == '\\' && i + 1 < len) {
                i++;
                if (line[i] == 'u' && i + 4 < len) {
                    int v = 0;
                    for (size_t k = 1; k <= 4 && v >= 0; k++) {
                        int h = hexval(line[i + k]);
                        /* a bad escape is left for yajl to report */
                        v = h < 0 ? -1 : v * 16 + h;
                    }
                    if (v >= 0 && (v < 0x20 || v == 0x7f))
                        return fail(err, -EINVAL,
                                    "control characters are not allowed "
                                    "in strings");
                }
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '/') {
            /* yajl_tree_parse() accepts comments; JSON does not. */
            return fail(err, -EINVAL, "not valid JSON (comments are not "
                        "allowed)");
        } else if (c == '{' || c == '[') {
            if (++depth > PROTO_MAX_DEPTH)
                return fail(err, -EINVAL,
                            "nested too deeply (a request is one flat "
                            "object)");
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

/* Reads a JSON number as a whole non-negative integer in [lo, hi]. */
static int get_uint(yajl_val v, const char *key, uint64_t lo, uint64_t hi,
                    uint64_t *out, char *err)
{
    const char *r;
    uint64_t x = 0;

    if (!YAJL_IS_NUMBER(v))
        return fail(err, -EINVAL, "'%s' must be an integer", key);
    r = v->u.number.r;
    if (r[0] == '-')
        return fail(err, -EINVAL, "'%s' must not be negative", key);
    for (const char *p = r; *p; p++) {
        if (*p < '0' || *p > '9')
            return fail(err, -EINVAL, "'%s' must be a whole number", key);
        if (x > (UINT64_MAX - 9) / 10)
            return fail(err, -ERANGE, "'%s' is out of range (%llu..%llu)",
                        key, (unsigned long long)lo, (unsigned long long)hi);
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x < lo || x > hi)
        return fail(err, -ERANGE, "'%s' is out of range (%llu..%llu)", key,
                    (unsigned long long)lo, (unsigned long long)hi);
    *out = x;
    return 0;
}

static int check_name(const char *s, const char *key, char *err)
{
    size_t n = strlen(s);

    if (n == 0)
        return fail(err, -EINVAL, "'%s' must not be empty", key);
    if (n > BD_PROTO_NAME_MAX)
        return fail(err, -EINVAL, "'%s' is longer than %d bytes", key,
                    BD_PROTO_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return fail(err, -EINVAL,
                        "'%s' must not contain control characters", key);
    }
    if (!bd_proto_utf8_valid(s, n))
        return fail(err, -EINVAL, "'%s' is not valid UTF-8", key);
    return 0;
}

static int get_domref(yajl_val v, const char *key,
                      struct bd_ctl_domref *out, char *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (YAJL_IS_STRING(v)) {
        rc = check_name(v->u.string, key, err);
        if (rc)
            return rc;
        strcpy(out->name, v->u.string);
        return 0;
    }
    if (YAJL_IS_NUMBER(v)) {
        uint64_t id;
        rc = get_uint(v, key, 0, BD_PROTO_MAX_DOMID, &id, err);
        if (rc)
            return rc;
        out->by_id = true;
        out->domid = (uint32_t)id;
        return 0;
    }
    return fail(err, -EINVAL, "'%s' must be a domain name or id", key);
}

static bool field_allowed(enum bd_ctl_cmd cmd, const char *key)
{
    if (!strcmp(key, "version") || !strcmp(key, "cmd"))
        return true;
    for (size_t i = 0; i < 8 && cmd_fields[cmd][i]; i++)
        if (!strcmp(cmd_fields[cmd][i], key))
            return true;
    return false;
}

static yajl_val field(yajl_val obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

static int parse_show(yajl_val obj, struct bd_ctl_request *req, char *err)
{
    yajl_val v = field(obj, "domains");
    int rc;

    if (!v)
        return 0;
    if (!YAJL_IS_ARRAY(v))
        return fail(err, -EINVAL, "'domains' must be an array");
    if (v->u.array.len > BD_PROTO_MAX_DOMAINS)
        return fail(err, -EINVAL, "'domains' names more than %d domains",
                    BD_PROTO_MAX_DOMAINS);
    for (size_t i = 0; i < v->u.array.len; i++) {
        rc = get_domref(v->u.array.values[i], "domains", &req->domains[i],
                        err);
        if (rc)
            return rc;
    }
    req->n_domains = v->u.array.len;
    return 0;
}

static int need(yajl_val obj, const char *key, yajl_val *out, char *err)
{
    *out = field(obj, key);
    if (!*out)
        return fail(err, -EINVAL, "missing field '%s'", key);
    return 0;
}

/* An optional boolean field: absent = false. */
static int get_flag(yajl_val obj, const char *key, bool *out, char *err)
{
    yajl_val v = field(obj, key);

    *out = false;
    if (!v)
        return 0;
    if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
        return fail(err, -EINVAL, "'%s' must be true or false", key);
    *out = YAJL_IS_TRUE(v);
    return 0;
}

static int parse_limits(yajl_val obj, struct bd_ctl_limits_args *a,
                        char *err)
{
    yajl_val v;
    uint64_t x;
    int rc;

    rc = need(obj, "domain", &v, err);
    if (rc)
        return rc;
    rc = get_domref(v, "domain", &a->domain, err);
    if (rc)
        return rc;
    if ((v = field(obj, "min_kib"))) {
        rc = get_uint(v, "min_kib", 0, BD_SIZE_MAX_KIB, &a->min_kib, err);
        if (rc)
            return rc;
        a->has_min = true;
    }
    if ((v = field(obj, "max_kib"))) {
        rc = get_uint(v, "max_kib", 1, BD_SIZE_MAX_KIB, &a->max_kib, err);
        if (rc)
            return rc;
        a->has_max = true;
    }
    if ((v = field(obj, "weight"))) {
        rc = get_uint(v, "weight", BD_PROTO_MIN_WEIGHT, BD_PROTO_MAX_WEIGHT,
                      &x, err);
        if (rc)
            return rc;
        a->weight = (uint32_t)x;
        a->has_weight = true;
    }
    if ((v = field(obj, "mode"))) {
        if (!YAJL_IS_STRING(v) || bd_mode_parse(v->u.string, &a->mode))
            return fail(err, -EINVAL,
                        "'mode' must be \"auto\", \"fixed\" or \"ignore\"");
        a->has_mode = true;
    }
    if ((rc = get_flag(obj, "reset", &a->reset, err)) ||
        (rc = get_flag(obj, "force", &a->force, err)))
        return rc;
    if (a->reset && (a->has_min || a->has_max || a->has_weight || a->has_mode))
        return fail(err, -EINVAL,
                    "'reset' cannot be combined with other limits");
    if (!a->reset && !a->has_min && !a->has_max && !a->has_weight &&
        !a->has_mode)
        return fail(err, -EINVAL,
                    "nothing to change (give min_kib, max_kib, weight, "
                    "mode or reset)");
    if (a->has_min && a->has_max && a->min_kib > a->max_kib)
        return fail(err, -EINVAL, "'min_kib' is larger than 'max_kib'");
    return 0;
}

static int parse_fields(yajl_val obj, struct bd_ctl_request *req, char *err)
{
    yajl_val v;
    int rc = 0;

    switch (req->cmd) {
    case BD_CTL_SHOW:
        return parse_show(obj, req, err);
    case BD_CTL_SET:
    case BD_CTL_AUTO:
    case BD_CTL_EXPLAIN:
        rc = need(obj, "domain", &v, err);
        if (rc)
            return rc;
        rc = get_domref(v, "domain", &req->domain, err);
        if (rc || req->cmd != BD_CTL_SET)
            return rc;
        if ((rc = get_flag(obj, "force", &req->force, err)))
            return rc;
        rc = need(obj, "target_kib", &v, err);
        if (rc)
            return rc;
        return get_uint(v, "target_kib", 1, BD_SIZE_MAX_KIB, &req->target_kib,
                        err);
    case BD_CTL_LIMITS:
        return parse_limits(obj, &req->limits, err);
    case BD_CTL_RESERVE:
        rc = need(obj, "kib", &v, err);
        if (rc)
            return rc;
        rc = get_uint(v, "kib", 1, BD_SIZE_MAX_KIB, &req->kib, err);
        if (rc)
            return rc;
        req->timeout_ms = BD_PROTO_DEFAULT_TIMEOUT_MS;
        if ((v = field(obj, "timeout_ms")))
            rc = get_uint(v, "timeout_ms", 0, BD_PROTO_MAX_TIMEOUT_MS,
                          &req->timeout_ms, err);
        if (!rc)
            rc = get_flag(obj, "force", &req->force, err);
        return rc;
    case BD_CTL_RELEASE:
        rc = need(obj, "id", &v, err);
        if (rc)
            return rc;
        return get_uint(v, "id", 1, BD_PROTO_MAX_ID, &req->id, err);
    default:
        return 0;
    }
}

int bd_proto_parse_request(const char *line, size_t len,
                           struct bd_ctl_request *req, char *err)
{
    char *text = NULL;
    char yerr[160];
    yajl_val root = NULL, v;
    uint64_t version;
    int rc;

    memset(req, 0, sizeof(*req));
    err[0] = '\0';
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len + 1 > BD_PROTO_MAX_LINE) {
        rc = fail(err, -EMSGSIZE, "longer than %d bytes", BD_PROTO_MAX_LINE);
        goto out;
    }
    rc = prescan(line, len, err);
    if (rc)
        goto out;
    text = strndup(line, len);
    if (!text) {
        rc = fail(err, -ENOMEM, "out of memory");
        goto out;
    }
    root = yajl_tree_parse(text, yerr, sizeof(yerr));
    if (!root) {
        /* yajl's message spans several lines (it draws an arrow). */
        char q[sizeof(yerr)];
        yerr[strcspn(yerr, "\n")] = '\0';
        rc = fail(err, -EINVAL, "not valid JSON (%s)",
                  bd_proto_quote(q, sizeof(q), yerr, sizeof(yerr)));
        goto out;
    }
    if (!YAJL_IS_OBJECT(root)) {
        rc = fail(err, -EINVAL, "not a JSON object");
        goto out;
    }
    for (size_t i = 0; i < root->u.object.len; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(root->u.object.keys[i], root->u.object.keys[j])) {
                char q[QUOTE_MAX + 1];
                rc = fail(err, -EINVAL, "field '%s' given twice",
                          bd_proto_quote(q, sizeof(q),
                                         root->u.object.keys[i], QUOTE_MAX));
                goto out;
            }
        }
    }

    v = field(root, "version");
    if (!v) {
        rc = fail(err, -EPROTO, "missing field 'version' (this balloond "
                  "speaks protocol %d)", BD_PROTO_VERSION);
        goto out;
    }
    if (!YAJL_IS_NUMBER(v) ||
        get_uint(v, "version", 0, UINT32_MAX, &version, err) ||
        version != BD_PROTO_VERSION) {
        rc = fail(err, -EPROTO, "unsupported protocol version (this "
                  "balloond speaks %d)", BD_PROTO_VERSION);
        goto out;
    }

    v = field(root, "cmd");
    if (!v) {
        rc = fail(err, -EINVAL, "missing field 'cmd'");
        goto out;
    }
    if (!YAJL_IS_STRING(v)) {
        rc = fail(err, -EINVAL, "'cmd' must be a string");
        goto out;
    }
    rc = -EINVAL;
    for (int c = 0; c < BD_CTL__COUNT; c++) {
        if (!strcmp(v->u.string, cmd_names[c])) {
            req->cmd = (enum bd_ctl_cmd)c;
            rc = 0;
            break;
        }
    }
    if (rc) {
        char q[QUOTE_MAX + 1];
        rc = fail(err, -EINVAL, "unknown command '%s'",
                  bd_proto_quote(q, sizeof(q), v->u.string, QUOTE_MAX));
        goto out;
    }

    for (size_t i = 0; i < root->u.object.len; i++) {
        if (!field_allowed(req->cmd, root->u.object.keys[i])) {
            char q[QUOTE_MAX + 1];
            rc = fail(err, -EINVAL, "unknown field '%s' for '%s'",
                      bd_proto_quote(q, sizeof(q), root->u.object.keys[i],
                                     QUOTE_MAX),
                      cmd_names[req->cmd]);
            goto out;
        }
    }
    rc = parse_fields(root, req, err);

out:
    if (rc) {
        enum bd_ctl_cmd cmd = req->cmd;
        memset(req, 0, sizeof(*req));
        req->cmd = cmd;
    }
    yajl_tree_free(root);
    free(text);
    /* The message must be one line of valid UTF-8 whatever yajl or a key
     * contained, even where fail() cut it short. */
    {
        char q[BD_PROTO_ERR_MAX];
        bd_proto_quote(q, sizeof(q), err, BD_PROTO_ERR_MAX);
        memcpy(err, q, sizeof(q));
    }
    return rc;
}

/* ---- reply writing --------------------------------------------------- */

static int gen_rc(yajl_gen_status st)
{
    return st == yajl_gen_status_ok ? 0 : -EINVAL;
}

/* Every string in a reply is valid UTF-8, whatever it quotes (a guest's
 * or a client's bytes, a cut message): invalid bytes become '?'. */
static int gen_text(yajl_gen g, const char *s)
{
    size_t len = strlen(s);
    char *copy;
    int rc;

    if (bd_proto_utf8_valid(s, len))
        return gen_rc(yajl_gen_string(g, (const unsigned char *)s, len));
    copy = malloc(len + 1);
    if (!copy)
        return -ENOMEM;
    /* Control characters are kept: yajl escapes them. */
    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_len((const unsigned char *)s + i, len - i);
        if (n == 0) {
            copy[i++] = '?';
            continue;
        }
        memcpy(copy + i, s + i, n);
        i += n;
    }
    rc = gen_rc(yajl_gen_string(g, (const unsigned char *)copy, len));
    free(copy);
    return rc;
}

int bd_gen_key(yajl_gen g, const char *key)
{
    return gen_text(g, key);
}

int bd_gen_str(yajl_gen g, const char *key, const char *val)
{
    int rc = bd_gen_key(g, key);

    if (rc)
        return rc;
    if (!val)
        return gen_rc(yajl_gen_null(g));
    return gen_text(g, val);
}

int bd_gen_u64(yajl_gen g, const char *key, uint64_t val)
{
    int rc = bd_gen_key(g, key);

    if (rc)
        return rc;
    /* yajl only has long long; our values are all far below 2^63. */
    if (val > INT64_MAX)
        return -ERANGE;
    return gen_rc(yajl_gen_integer(g, (long long)val));
}

int bd_gen_bool(yajl_gen g, const char *key, bool val)
{
    int rc = bd_gen_key(g, key);

    return rc ? rc : gen_rc(yajl_gen_bool(g, val));
}

int bd_gen_null(yajl_gen g, const char *key)
{
    int rc = bd_gen_key(g, key);

    return rc ? rc : gen_rc(yajl_gen_null(g));
}

static int gen_opt_u64(yajl_gen g, const char *key, bool have, uint64_t v)
{
    return have ? bd_gen_u64(g, key, v) : bd_gen_null(g, key);
}

int bd_proto_gen_domain(yajl_gen g, const struct bd_ctl_dom_info *d)
{
    int rc = gen_rc(yajl_gen_map_open(g));

    if (!rc) rc = bd_gen_u64(g, "domid", d->domid);
    if (!rc) rc = bd_gen_str(g, "name", d->name ? d->name : "");
    if (!rc) rc = bd_gen_u64(g, "current_kib", d->current_kib);
    if (!rc) rc = bd_gen_u64(g, "target_kib", d->target_kib);
    if (!rc) rc = bd_gen_u64(g, "min_kib", d->min_kib);
    if (!rc) rc = bd_gen_u64(g, "max_kib", d->max_kib);
    if (!rc) rc = bd_gen_u64(g, "static_max_kib", d->static_max_kib);
    if (!rc) rc = bd_gen_u64(g, "weight", d->weight);
    if (!rc) rc = bd_gen_str(g, "mode", bd_mode_name(d->mode));
    if (!rc) rc = bd_gen_str(g, "state", d->state ? d->state : "ok");
    if (!rc)
        rc = d->has_stats ? bd_gen_u64(g, "used_kib", d->used_kib)
                          : bd_gen_null(g, "used_kib");
    if (!rc)
        rc = d->has_stats && !d->available_unknown
                 ? bd_gen_u64(g, "available_kib", d->available_kib)
                 : bd_gen_null(g, "available_kib");
    if (!rc) rc = bd_gen_bool(g, "pressure", d->pressure);
    if (!rc) rc = bd_gen_str(g, "reason", d->reason ? d->reason : "");
    if (!rc)
        rc = d->pin_kib ? bd_gen_u64(g, "pin_kib", d->pin_kib)
                        : bd_gen_null(g, "pin_kib");
    if (!rc)
        rc = gen_opt_u64(g, "would_kib", d->would_kib != 0, d->would_kib);
    if (!rc)
        rc = gen_opt_u64(g, "overhead_kib", d->overhead_source != NULL,
                         d->overhead_kib);
    if (!rc)
        rc = d->overhead_source
                 ? bd_gen_str(g, "overhead_source", d->overhead_source)
                 : bd_gen_null(g, "overhead_source");
    if (!rc) rc = gen_rc(yajl_gen_map_close(g));
    return rc;
}

int bd_proto_gen_status(yajl_gen g, const struct bd_ctl_status_info *s)
{
    int rc = 0;

    if (!rc) rc = bd_gen_str(g, "daemon_version", s->daemon_version);
    if (!rc) rc = bd_gen_u64(g, "pid", s->pid);
    if (!rc) rc = bd_gen_u64(g, "uptime_ms", s->uptime_ms);
    if (!rc) rc = bd_gen_str(g, "config", s->config_path);
    if (!rc) rc = bd_gen_str(g, "host", s->host);
    if (!rc) rc = bd_gen_bool(g, "dry_run", s->dry_run);
    if (!rc) rc = bd_gen_u64(g, "host_total_kib", s->host_total_kib);
    if (!rc) rc = bd_gen_u64(g, "host_free_kib", s->host_free_kib);
    if (!rc) rc = bd_gen_u64(g, "reserve_kib", s->reserve_kib);
    if (!rc) rc = bd_gen_u64(g, "reserved_kib", s->reserved_kib);
    if (!rc) rc = bd_gen_u64(g, "reservations", s->n_reservations);
    if (!rc) rc = bd_gen_u64(g, "start_pool_kib", s->start_pool_kib);
    if (!rc) rc = bd_gen_u64(g, "capacity_now_kib", s->capacity_now_kib);
    if (!rc)
        rc = bd_gen_u64(g, "capacity_reclaim_kib", s->capacity_reclaim_kib);
    if (!rc) rc = bd_gen_u64(g, "domains", s->domains);
    if (!rc) rc = bd_gen_u64(g, "domains_managed", s->domains_managed);
    if (!rc)
        rc = s->has_last_rebalance
                 ? bd_gen_u64(g, "last_rebalance_ago_ms",
                              s->last_rebalance_ago_ms)
                 : bd_gen_null(g, "last_rebalance_ago_ms");
    if (!rc) rc = bd_gen_u64(g, "rebalances", s->rebalances);
    if (!rc) rc = bd_gen_u64(g, "target_writes", s->target_writes);
    if (!rc) rc = bd_gen_u64(g, "errors", s->errors);
    if (!rc) rc = bd_gen_str(g, "last_error", s->last_error);
    if (!rc) rc = bd_gen_key(g, "warnings");
    if (!rc) rc = gen_rc(yajl_gen_array_open(g));
    for (size_t i = 0; !rc && i < s->n_warnings; i++)
        rc = gen_rc(yajl_gen_string(g, (const unsigned char *)s->warnings[i],
                                    strlen(s->warnings[i])));
    if (!rc) rc = gen_rc(yajl_gen_array_close(g));
    if (!rc) rc = bd_gen_key(g, "reservation_list");
    if (!rc) rc = gen_rc(yajl_gen_array_open(g));
    for (size_t i = 0; !rc && i < s->n_res; i++) {
        rc = gen_rc(yajl_gen_map_open(g));
        if (!rc) rc = bd_gen_u64(g, "id", s->res[i].id);
        if (!rc) rc = bd_gen_u64(g, "kib", s->res[i].kib);
        if (!rc) rc = bd_gen_bool(g, "granted", s->res[i].granted);
        if (!rc) rc = bd_gen_u64(g, "left_ms", s->res[i].left_ms);
        if (!rc) rc = gen_rc(yajl_gen_map_close(g));
    }
    if (!rc) rc = gen_rc(yajl_gen_array_close(g));
    return rc;
}

int bd_proto_gen_explain(yajl_gen g, const struct bd_ctl_explain_plan *p,
                         const struct bd_ctl_change *ch, size_t n)
{
    bool pl = p->has_plan, st = p->has_stats;
    int rc = bd_gen_key(g, "plan");

    if (!rc) rc = gen_rc(yajl_gen_map_open(g));
    if (!rc) rc = gen_opt_u64(g, "reported_used_kib", st, p->reported_used_kib);
    if (!rc)
        rc = gen_opt_u64(g, "overhead_kib", st || p->overhead_source,
                         p->overhead_kib);
    if (!rc) rc = bd_gen_str(g, "overhead_source", p->overhead_source);
    if (!rc) rc = gen_opt_u64(g, "use_kib", pl && st, p->use_kib);
    if (!rc) rc = gen_opt_u64(g, "need_kib", pl && st, p->need_kib);
    if (!rc) rc = gen_opt_u64(g, "want_kib", pl && st, p->want_kib);
    if (!rc) rc = gen_opt_u64(g, "share_kib", pl && st, p->share_kib);
    if (!rc) rc = gen_opt_u64(g, "lo_kib", pl, p->lo_kib);
    if (!rc) rc = gen_opt_u64(g, "hi_kib", pl, p->hi_kib);
    if (!rc) rc = gen_opt_u64(g, "planned_kib", pl, p->planned_kib);
    if (!rc) rc = bd_gen_str(g, "pressure_signal", p->pressure_signal);
    if (!rc)
        rc = gen_opt_u64(g, "pressure_value", p->pressure_signal != NULL,
                         p->pressure_value);
    if (!rc) rc = bd_gen_str(g, "note", p->note ? p->note : "");
    if (!rc) rc = gen_rc(yajl_gen_map_close(g));
    if (!rc) rc = bd_gen_key(g, "history");
    if (!rc) rc = gen_rc(yajl_gen_array_open(g));
    for (size_t i = 0; !rc && i < n; i++) {
        rc = gen_rc(yajl_gen_map_open(g));
        if (!rc) rc = bd_gen_u64(g, "ago_ms", ch[i].ago_ms);
        if (!rc) rc = bd_gen_u64(g, "from_kib", ch[i].from_kib);
        if (!rc) rc = bd_gen_u64(g, "to_kib", ch[i].to_kib);
        if (!rc) rc = bd_gen_bool(g, "dry_run", ch[i].dry_run);
        if (!rc) rc = bd_gen_str(g, "reason", ch[i].reason);
        if (!rc) rc = gen_rc(yajl_gen_map_close(g));
    }
    if (!rc) rc = gen_rc(yajl_gen_array_close(g));
    return rc;
}

static int gen_head(yajl_gen g, bool ok)
{
    int rc = gen_rc(yajl_gen_map_open(g));

    if (!rc) rc = bd_gen_u64(g, "version", BD_PROTO_VERSION);
    if (!rc) rc = bd_gen_bool(g, "ok", ok);
    return rc;
}

static int gen_error_str(yajl_gen g, const char *msg)
{
    char buf[BD_PROTO_ERR_MAX];

    bd_proto_quote(buf, sizeof(buf), msg && *msg ? msg : "failed",
                   BD_PROTO_ERR_MAX - 1);
    return bd_gen_str(g, "error", buf);
}

int bd_proto_gen_error(yajl_gen g, const char *msg)
{
    int rc = gen_head(g, false);

    if (!rc) rc = gen_error_str(g, msg);
    if (!rc) rc = gen_rc(yajl_gen_map_close(g));
    return rc;
}

int bd_proto_gen_reserve_reply(yajl_gen g,
                               const struct bd_ctl_reserve_result *r)
{
    int rc = gen_head(g, r->ok);

    if (!rc && !r->ok)
        rc = gen_error_str(g, r->error[0] ? r->error
                                          : "reservation failed");
    if (!rc && r->ok) rc = bd_gen_u64(g, "id", r->id);
    if (!rc) rc = bd_gen_u64(g, "kib", r->kib);
    if (!rc) rc = bd_gen_u64(g, "achieved_kib", r->achieved_kib);
    if (!rc && r->ok) rc = bd_gen_u64(g, "hold_ms", r->hold_ms);
    if (!rc) rc = gen_rc(yajl_gen_map_close(g));
    return rc;
}

/* ---- client side --------------------------------------------------- */

yajl_gen bd_proto_request_begin(enum bd_ctl_cmd cmd)
{
    yajl_gen g;

    if ((unsigned)cmd >= BD_CTL__COUNT)
        return NULL;
    g = yajl_gen_alloc(NULL);
    if (!g)
        return NULL;
    if (gen_rc(yajl_gen_map_open(g)) ||
        bd_gen_u64(g, "version", BD_PROTO_VERSION) ||
        bd_gen_str(g, "cmd", cmd_names[cmd])) {
        yajl_gen_free(g);
        return NULL;
    }
    return g;
}

int bd_gen_domref(yajl_gen g, const char *key, const struct bd_ctl_domref *d)
{
    int rc = 0;

    if (key)
        rc = bd_gen_key(g, key);
    if (rc)
        return rc;
    if (d->by_id)
        return gen_rc(yajl_gen_integer(g, d->domid));
    return gen_rc(yajl_gen_string(g, (const unsigned char *)d->name,
                                  strlen(d->name)));
}

int bd_proto_domref_parse(const char *s, struct bd_ctl_domref *out,
                          const char **why)
{
    size_t n = strlen(s);
    bool digits = n > 0;

    memset(out, 0, sizeof(*out));
    if (n == 0) {
        *why = "empty domain name";
        return -EINVAL;
    }
    if (n > BD_PROTO_NAME_MAX) {
        *why = "domain name too long";
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            *why = "control character in domain name";
            return -EINVAL;
        }
        if (c < '0' || c > '9')
            digits = false;
    }
    if (digits) {
        uint64_t id = 0;
        for (size_t i = 0; i < n; i++) {
            id = id * 10 + (uint64_t)(s[i] - '0');
            if (id > BD_PROTO_MAX_DOMID) {
                *why = "domain id out of range";
                return -EINVAL;
            }
        }
        out->by_id = true;
        out->domid = (uint32_t)id;
        return 0;
    }
    memcpy(out->name, s, n + 1);
    return 0;
}
