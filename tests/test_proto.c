/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_proto.c - the control protocol parser against every class of bad
 * request, and the reply writers against the key names balloonctl reads.
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "common/proto.h"
#include "common/size.h"

static struct bd_ctl_request req;
static char err[BD_PROTO_ERR_MAX];

static int parse(const char *s)
{
    return bd_proto_parse_request(s, strlen(s), &req, err);
}

/* A request must fail with rc and an error mentioning `what`. */
static void bad(const char *s, int rc, const char *what)
{
    int r = parse(s);

    if (r != rc || !strstr(err, what))
        fail_msg("request %s: got %d '%s', want %d '...%s...'", s, r, err,
                 rc, what);
    assert_non_null(strstr(err, "invalid request"));
    assert_null(strchr(err, '\n'));
}

static void test_valid(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"version\":1,\"cmd\":\"status\"}\n"), 0);
    assert_int_equal(req.cmd, BD_CTL_STATUS);

    assert_int_equal(parse("{\"cmd\":\"show\",\"version\":1}"), 0);
    assert_int_equal(req.cmd, BD_CTL_SHOW);
    assert_int_equal(req.n_domains, 0);

    assert_int_equal(
        parse("{\"version\":1,\"cmd\":\"show\",\"domains\":[\"web1\",3,0]}"),
        0);
    assert_int_equal(req.n_domains, 3);
    assert_false(req.domains[0].by_id);
    assert_string_equal(req.domains[0].name, "web1");
    assert_true(req.domains[1].by_id);
    assert_int_equal(req.domains[1].domid, 3);
    assert_true(req.domains[2].by_id);
    assert_int_equal(req.domains[2].domid, 0);

    assert_int_equal(parse("{\"version\":1,\"cmd\":\"set\",\"domain\":"
                           "\"db\",\"target_kib\":1048576}"), 0);
    assert_int_equal(req.cmd, BD_CTL_SET);
    assert_string_equal(req.domain.name, "db");
    assert_int_equal(req.target_kib, 1048576);

    assert_int_equal(
        parse("{\"version\":1,\"cmd\":\"auto\",\"domain\":7}"), 0);
    assert_int_equal(req.cmd, BD_CTL_AUTO);
    assert_true(req.domain.by_id);
    assert_int_equal(req.domain.domid, 7);

    assert_int_equal(parse("{\"version\":1,\"cmd\":\"limits\",\"domain\":"
                           "\"a\",\"min_kib\":0,\"max_kib\":2097152,"
                           "\"weight\":10000,\"mode\":\"fixed\"}"), 0);
    assert_true(req.limits.has_min && req.limits.has_max &&
                req.limits.has_weight && req.limits.has_mode);
    assert_int_equal(req.limits.min_kib, 0);
    assert_int_equal(req.limits.max_kib, 2097152);
    assert_int_equal(req.limits.weight, 10000);
    assert_int_equal(req.limits.mode, BD_MODE_FIXED);
    assert_false(req.limits.reset);

    assert_int_equal(parse("{\"version\":1,\"cmd\":\"limits\",\"domain\":"
                           "\"a\",\"reset\":true}"), 0);
    assert_true(req.limits.reset);
    assert_false(req.limits.has_min);

    assert_int_equal(parse("{\"version\":1,\"cmd\":\"reserve\",\"kib\":"
                           "524288}"), 0);
    assert_int_equal(req.kib, 524288);
    assert_int_equal(req.timeout_ms, BD_PROTO_DEFAULT_TIMEOUT_MS);
    assert_int_equal(parse("{\"version\":1,\"cmd\":\"reserve\",\"kib\":1,"
                           "\"timeout_ms\":0}"), 0);
    assert_int_equal(req.timeout_ms, 0);
    assert_false(req.force);
    assert_int_equal(parse("{\"version\":1,\"cmd\":\"reserve\",\"kib\":1,"
                           "\"force\":true}"), 0);
    assert_true(req.force);

    assert_int_equal(
        parse("{\"version\":1,\"cmd\":\"release\",\"id\":9007199254740992}"),
        0);
    assert_int_equal(req.id, BD_PROTO_MAX_ID);

    assert_int_equal(parse(" {\"version\":1,\"cmd\":\"reload\"} \r\n"), 0);
    assert_int_equal(req.cmd, BD_CTL_RELOAD);
    assert_int_equal(parse("{\"version\":1,\"cmd\":\"metrics\"}"), 0);
    assert_int_equal(req.cmd, BD_CTL_METRICS);

    /* UTF-8 names are fine; an escaped non-control character too. */
    assert_int_equal(parse("{\"version\":1,\"cmd\":\"auto\",\"domain\":"
                           "\"caf\xc3\xa9-\\u0041\"}"), 0);
    assert_string_equal(req.domain.name, "caf\xc3\xa9-A");
}

static void test_not_json(void **state)
{
    (void)state;
    bad("", -EINVAL, "not valid JSON");
    bad("\n", -EINVAL, "not valid JSON");
    bad("hello", -EINVAL, "not valid JSON");
    bad("{\"version\":1,\"cmd\":\"status\"", -EINVAL, "not valid JSON");
    bad("{version:1}", -EINVAL, "not valid JSON");
    bad("{\"version\":1,\"cmd\":\"status\"} {}", -EINVAL, "not valid JSON");
    bad("{\"version\":1,\"cmd\":\"status\",}", -EINVAL, "not valid JSON");
    /* invalid UTF-8 */
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"\xff\xfe\"}", -EINVAL,
        "not valid JSON");
    /* comments: yajl_tree accepts them, JSON does not */
    bad("{\"version\":1,/* hi */\"cmd\":\"status\"}", -EINVAL,
        "comments are not allowed");
    bad("{\"version\":1,\"cmd\":\"status\"} // x", -EINVAL,
        "comments are not allowed");
    /* ... but a slash inside a string is just a character */
    assert_int_equal(parse("{\"version\":1,\"cmd\":\"auto\",\"domain\":"
                           "\"a/b\"}"), 0);
    assert_string_equal(req.domain.name, "a/b");
    /* a raw control character inside a string */
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\tb\"}", -EINVAL,
        "not valid JSON");
}

static void test_not_object(void **state)
{
    (void)state;
    bad("[1,2]", -EINVAL, "not a JSON object");
    bad("42", -EINVAL, "not a JSON object");
    bad("\"status\"", -EINVAL, "not a JSON object");
    bad("null", -EINVAL, "not a JSON object");
}

static void test_version(void **state)
{
    (void)state;
    bad("{\"cmd\":\"status\"}", -EPROTO, "missing field 'version'");
    bad("{\"version\":2,\"cmd\":\"status\"}", -EPROTO, "protocol version");
    bad("{\"version\":0,\"cmd\":\"status\"}", -EPROTO, "protocol version");
    bad("{\"version\":\"1\",\"cmd\":\"status\"}", -EPROTO,
        "protocol version");
    bad("{\"version\":1.0,\"cmd\":\"status\"}", -EPROTO, "protocol version");
    bad("{\"version\":-1,\"cmd\":\"status\"}", -EPROTO, "protocol version");
    bad("{\"version\":18446744073709551617,\"cmd\":\"status\"}", -EPROTO,
        "protocol version");
}

static void test_cmd(void **state)
{
    (void)state;
    bad("{\"version\":1}", -EINVAL, "missing field 'cmd'");
    bad("{\"version\":1,\"cmd\":3}", -EINVAL, "'cmd' must be a string");
    bad("{\"version\":1,\"cmd\":null}", -EINVAL, "'cmd' must be a string");
    bad("{\"version\":1,\"cmd\":\"shutdown\"}", -EINVAL,
        "unknown command 'shutdown'");
    bad("{\"version\":1,\"cmd\":\"STATUS\"}", -EINVAL, "unknown command");
    bad("{\"version\":1,\"cmd\":\"\"}", -EINVAL, "unknown command");
}

static void test_missing_fields(void **state)
{
    (void)state;
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\"}", -EINVAL,
        "missing field 'target_kib'");
    bad("{\"version\":1,\"cmd\":\"set\",\"target_kib\":5}", -EINVAL,
        "missing field 'domain'");
    bad("{\"version\":1,\"cmd\":\"auto\"}", -EINVAL,
        "missing field 'domain'");
    bad("{\"version\":1,\"cmd\":\"limits\",\"min_kib\":5}", -EINVAL,
        "missing field 'domain'");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\"}", -EINVAL,
        "nothing to change");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"reset\":false}",
        -EINVAL, "nothing to change");
    bad("{\"version\":1,\"cmd\":\"reserve\"}", -EINVAL,
        "missing field 'kib'");
    bad("{\"version\":1,\"cmd\":\"release\"}", -EINVAL, "missing field 'id'");
}

static void test_wrong_types(void **state)
{
    (void)state;
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "\"1G\"}", -EINVAL, "'target_kib' must be an integer");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "true}", -EINVAL, "'target_kib' must be an integer");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "1.5}", -EINVAL, "'target_kib' must be a whole number");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "1e6}", -EINVAL, "'target_kib' must be a whole number");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":[\"a\"],\"target_kib\":1}",
        -EINVAL, "'domain' must be a domain name or id");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":null}", -EINVAL,
        "'domain' must be a domain name or id");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":{}}", -EINVAL,
        "'domain' must be a domain name or id");
    bad("{\"version\":1,\"cmd\":\"show\",\"domains\":\"a\"}", -EINVAL,
        "'domains' must be an array");
    bad("{\"version\":1,\"cmd\":\"show\",\"domains\":[true]}", -EINVAL,
        "'domains' must be a domain name or id");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"mode\":1}",
        -EINVAL, "'mode' must be");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"mode\":"
        "\"balloon\"}", -EINVAL, "'mode' must be");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"reset\":1}",
        -EINVAL, "'reset' must be true or false");
    bad("{\"version\":1,\"cmd\":\"release\",\"id\":\"3\"}", -EINVAL,
        "'id' must be an integer");
}

static void test_ranges(void **state)
{
    (void)state;
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":-1}",
        -EINVAL, "'target_kib' must not be negative");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":0}",
        -ERANGE, "'target_kib' is out of range");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "1099511627777}", -ERANGE, "'target_kib' is out of range");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "18446744073709551616}", -ERANGE, "'target_kib' is out of range");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "99999999999999999999999999999}", -ERANGE, "out of range");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target_kib\":"
        "-99999999999999999999999}", -EINVAL, "must not be negative");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":-1}", -EINVAL,
        "must not be negative");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":32752}", -ERANGE,
        "'domain' is out of range");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"weight\":0}",
        -ERANGE, "'weight' is out of range");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"weight\":"
        "10001}", -ERANGE, "'weight' is out of range");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"min_kib\":2,"
        "\"max_kib\":1}", -EINVAL, "'min_kib' is larger than 'max_kib'");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"max_kib\":0}",
        -ERANGE, "'max_kib' is out of range");
    bad("{\"version\":1,\"cmd\":\"limits\",\"domain\":\"a\",\"reset\":true,"
        "\"weight\":5}", -EINVAL, "cannot be combined");
    bad("{\"version\":1,\"cmd\":\"reserve\",\"kib\":0}", -ERANGE,
        "'kib' is out of range");
    bad("{\"version\":1,\"cmd\":\"reserve\",\"kib\":1,\"timeout_ms\":"
        "3600001}", -ERANGE, "'timeout_ms' is out of range");
    bad("{\"version\":1,\"cmd\":\"release\",\"id\":0}", -ERANGE,
        "'id' is out of range");
    bad("{\"version\":1,\"cmd\":\"release\",\"id\":9007199254740993}",
        -ERANGE, "'id' is out of range");
}

static void test_unknown_fields(void **state)
{
    (void)state;
    bad("{\"version\":1,\"cmd\":\"status\",\"verbose\":true}", -EINVAL,
        "unknown field 'verbose' for 'status'");
    /* a field of another command */
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\",\"target_kib\":1}",
        -EINVAL, "unknown field 'target_kib' for 'auto'");
    bad("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\",\"target\":1}",
        -EINVAL, "unknown field 'target'");
    bad("{\"version\":1,\"cmd\":\"status\",\"version\":1}", -EINVAL,
        "given twice");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\",\"domain\":\"b\"}",
        -EINVAL, "given twice");
}

static void test_names(void **state)
{
    char line[600], name[200];

    (void)state;
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"\"}", -EINVAL,
        "'domain' must not be empty");
    memset(name, 'x', BD_PROTO_NAME_MAX);
    name[BD_PROTO_NAME_MAX] = '\0';
    snprintf(line, sizeof(line),
             "{\"version\":1,\"cmd\":\"auto\",\"domain\":\"%s\"}", name);
    assert_int_equal(parse(line), 0);
    assert_string_equal(req.domain.name, name);
    strcat(name, "y");
    snprintf(line, sizeof(line),
             "{\"version\":1,\"cmd\":\"auto\",\"domain\":\"%s\"}", name);
    bad(line, -EINVAL, "longer than 127 bytes");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\\u0000b\"}", -EINVAL,
        "control characters");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\\u001b[2J\"}",
        -EINVAL, "control characters");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\\n\"}", -EINVAL,
        "control characters");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\x7f\"}", -EINVAL,
        "control characters");
}

static void test_embedded_nul(void **state)
{
    static const char line[] = "{\"version\":1,\"cmd\":\"status\"}\0garbage";
    int r;

    (void)state;
    r = bd_proto_parse_request(line, sizeof(line) - 1, &req, err);
    assert_int_equal(r, -EINVAL);
    assert_non_null(strstr(err, "NUL byte"));
}

static void test_nesting(void **state)
{
    char line[BD_PROTO_MAX_LINE];
    size_t n = 0;

    (void)state;
    bad("{\"version\":1,\"cmd\":\"show\",\"domains\":[[\"a\"]]}", -EINVAL,
        "nested too deeply");
    bad("{\"version\":1,\"cmd\":\"status\",\"x\":{\"y\":{}}}", -EINVAL,
        "nested too deeply");
    /* A brace inside a string is not nesting. */
    assert_int_equal(parse("{\"version\":1,\"cmd\":\"show\",\"domains\":"
                           "[\"{[{[{[\"]}"), 0);
    assert_string_equal(req.domains[0].name, "{[{[{[");

    n += (size_t)snprintf(line, sizeof(line), "{\"version\":1,\"x\":");
    while (n < 4000)
        line[n++] = '[';
    line[n] = '\0';
    bad(line, -EINVAL, "nested too deeply");
}

static void test_oversized(void **state)
{
    char *line = malloc(BD_PROTO_MAX_LINE + 100);
    size_t n;

    (void)state;
    assert_non_null(line);
    /* Exactly 4096 bytes with the '\n' is accepted ... */
    n = (size_t)sprintf(line, "{\"version\":1,\"cmd\":\"status\"");
    while (n < BD_PROTO_MAX_LINE - 2)
        line[n++] = ' ';
    line[n++] = '}';
    line[n++] = '\n';
    assert_int_equal(bd_proto_parse_request(line, n, &req, err), 0);
    /* ... one more is not. */
    line[n - 1] = ' ';
    line[n++] = '\n';
    assert_int_equal(bd_proto_parse_request(line, n, &req, err), -EMSGSIZE);
    assert_non_null(strstr(err, "longer than 4096 bytes"));
    free(line);
}

static void test_too_many_domains(void **state)
{
    char line[BD_PROTO_MAX_LINE];
    size_t n;

    (void)state;
    n = (size_t)sprintf(line, "{\"version\":1,\"cmd\":\"show\",\"domains\":[");
    for (int i = 0; i < BD_PROTO_MAX_DOMAINS; i++)
        n += (size_t)sprintf(line + n, "%s%d", i ? "," : "", i);
    sprintf(line + n, "]}");
    assert_int_equal(parse(line), 0);
    assert_int_equal(req.n_domains, BD_PROTO_MAX_DOMAINS);
    assert_int_equal(req.domains[63].domid, 63);
    sprintf(line + n, ",64]}");
    bad(line, -EINVAL, "more than 64 domains");
}

static void test_failed_request_is_zeroed(void **state)
{
    (void)state;
    assert_int_not_equal(parse("{\"version\":1,\"cmd\":\"set\",\"domain\":"
                               "\"a\",\"target_kib\":-5}"), 0);
    assert_int_equal(req.cmd, BD_CTL_SET);
    assert_string_equal(req.domain.name, "");
    assert_int_equal(req.target_kib, 0);
}

static yajl_val reparse(yajl_gen g)
{
    const unsigned char *buf;
    size_t len;
    char *s;
    yajl_val v;

    assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
    s = strndup((const char *)buf, len);
    v = yajl_tree_parse(s, NULL, 0);
    free(s);
    assert_non_null(v);
    return v;
}

static yajl_val get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_any);
}

static void test_gen_error(void **state)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    yajl_val v;

    (void)state;
    assert_int_equal(bd_proto_gen_error(g, "no\nsuch \"domain\""), 0);
    v = reparse(g);
    assert_int_equal(YAJL_GET_INTEGER(get(v, "version")), 1);
    assert_true(YAJL_IS_FALSE(get(v, "ok")));
    assert_string_equal(YAJL_GET_STRING(get(v, "error")),
                        "no such \"domain\"");
    yajl_tree_free(v);
    yajl_gen_free(g);
}

static void test_gen_domain(void **state)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    struct bd_ctl_dom_info d = {
        .domid = 3, .name = "web", .current_kib = 1024, .target_kib = 2048,
        .min_kib = 512, .max_kib = 4096, .static_max_kib = 8192,
        .weight = 100, .mode = BD_MODE_IGNORE, .state = "stuck",
        .has_stats = false, .pressure = true, .reason = "no progress",
    };
    yajl_val v;
    static const char *const keys[] = {
        "domid", "name", "current_kib", "target_kib", "min_kib", "max_kib",
        "static_max_kib", "weight", "mode", "state", "used_kib",
        "available_kib", "pressure", "reason", "pin_kib", "would_kib",
        "overhead_kib", "overhead_source"};

    (void)state;
    assert_int_equal(bd_proto_gen_domain(g, &d), 0);
    v = reparse(g);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!get(v, keys[i]))
            fail_msg("key %s missing", keys[i]);
    assert_int_equal(YAJL_GET_INTEGER(get(v, "static_max_kib")), 8192);
    assert_string_equal(YAJL_GET_STRING(get(v, "mode")), "ignore");
    assert_string_equal(YAJL_GET_STRING(get(v, "state")), "stuck");
    assert_true(YAJL_IS_NULL(get(v, "used_kib")));
    assert_true(YAJL_IS_NULL(get(v, "pin_kib")));
    assert_true(YAJL_IS_NULL(get(v, "would_kib")));
    assert_true(YAJL_IS_NULL(get(v, "overhead_kib")));
    assert_true(YAJL_IS_NULL(get(v, "overhead_source")));
    assert_true(YAJL_IS_TRUE(get(v, "pressure")));
    yajl_tree_free(v);
    yajl_gen_free(g);
}

static void test_gen_reserve(void **state)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    struct bd_ctl_reserve_result r = {
        .ok = false, .kib = 1000, .achieved_kib = 300};
    yajl_val v;

    (void)state;
    assert_int_equal(bd_proto_gen_reserve_reply(g, &r), 0);
    v = reparse(g);
    assert_true(YAJL_IS_FALSE(get(v, "ok")));
    assert_string_equal(YAJL_GET_STRING(get(v, "error")),
                        "reservation failed");
    assert_int_equal(YAJL_GET_INTEGER(get(v, "achieved_kib")), 300);
    assert_null(get(v, "id"));
    yajl_tree_free(v);
    yajl_gen_free(g);

    g = yajl_gen_alloc(NULL);
    r = (struct bd_ctl_reserve_result){
        .ok = true, .id = 5, .kib = 1000, .achieved_kib = 1000,
        .hold_ms = 60000};
    assert_int_equal(bd_proto_gen_reserve_reply(g, &r), 0);
    v = reparse(g);
    assert_true(YAJL_IS_TRUE(get(v, "ok")));
    assert_int_equal(YAJL_GET_INTEGER(get(v, "id")), 5);
    assert_int_equal(YAJL_GET_INTEGER(get(v, "hold_ms")), 60000);
    yajl_tree_free(v);
    yajl_gen_free(g);
}

/* What the client writes, the server parses back to the same thing. */
static void test_roundtrip(void **state)
{
    struct bd_ctl_domref d;
    const char *why = NULL;
    const unsigned char *buf;
    size_t len;
    yajl_gen g;

    (void)state;
    assert_int_equal(bd_proto_domref_parse("42", &d, &why), 0);
    assert_true(d.by_id);
    assert_int_equal(d.domid, 42);
    assert_int_equal(bd_proto_domref_parse("web-1", &d, &why), 0);
    assert_false(d.by_id);
    assert_int_equal(bd_proto_domref_parse("99999", &d, &why), -EINVAL);
    assert_non_null(why);
    assert_int_equal(bd_proto_domref_parse("", &d, &why), -EINVAL);

    assert_int_equal(bd_proto_domref_parse("caf\xc3\xa9 \"q\"", &d, &why), 0);
    g = bd_proto_request_begin(BD_CTL_SET);
    assert_non_null(g);
    assert_int_equal(bd_gen_domref(g, "domain", &d), 0);
    assert_int_equal(bd_gen_u64(g, "target_kib", 4096), 0);
    assert_int_equal(yajl_gen_map_close(g), yajl_gen_status_ok);
    assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
    assert_int_equal(bd_proto_parse_request((const char *)buf, len, &req, err),
                     0);
    assert_int_equal(req.cmd, BD_CTL_SET);
    assert_string_equal(req.domain.name, "caf\xc3\xa9 \"q\"");
    assert_int_equal(req.target_kib, 4096);
    yajl_gen_free(g);
}

/* Strict UTF-8 (RFC 3629), written out independently of proto.c. */
static bool strict_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xe0) == 0xc0)
            n = 2, cp = s[i] & 0x1f;
        else if ((s[i] & 0xf0) == 0xe0)
            n = 3, cp = s[i] & 0x0f;
        else if ((s[i] & 0xf8) == 0xf0)
            n = 4, cp = s[i] & 0x07;
        else
            return false;
        if (i + n > len)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
            (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

/* The error reply for a request: must be valid UTF-8 and valid JSON. */
static void error_reply_is_utf8(const char *request)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    char yerr[128];
    size_t len;
    yajl_val v;

    assert_true(parse(request) < 0);
    assert_int_equal(bd_proto_gen_error(g, err), 0);
    assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
    if (!strict_utf8(buf, len))
        fail_msg("reply to %s is not UTF-8: %.*s", request, (int)len,
                 (const char *)buf);
    v = yajl_tree_parse((const char *)buf, yerr, sizeof(yerr));
    assert_non_null(v);
    yajl_tree_free(v);
    yajl_gen_free(g);
}

/*
 * Regression (issue 14): quoting a request with %.40s cut a multi-byte
 * character, and overlong forms and surrogates (which yajl accepts) were
 * echoed back: the reply was not UTF-8 and strict clients rejected it.
 */
static void test_error_replies_are_utf8(void **state)
{
    static const char *const reqs[] = {
        /* 39 ASCII bytes, then a 2-byte character across the cut */
        "{\"version\":1,\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\"}",
        /* a 3-byte character across the cut, in an unknown field */
        "{\"version\":1,\"cmd\":\"status\",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "\xe2\x82\xac" "\":1}",
        /* twice the same key, a 4-byte character across the cut */
        "{\"version\":1,\"cmd\":\"status\",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "\xf0\x9f\x98\x80" "\":1,\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "\xf0\x9f\x98\x80" "\":1}",
        "{\"version\":1,\"cmd\":\"\xc0\xaf\"}",          /* overlong '/' */
        "{\"version\":1,\"cmd\":\"\xe0\x80\xaf\"}",      /* overlong */
        "{\"version\":1,\"cmd\":\"\xed\xa0\x80\"}",      /* surrogate */
        "{\"version\":1,\"cmd\":\"\xf4\x90\x80\x80\"}", /* > U+10FFFF */
        "{\"version\":1,\"cmd\":\"\\ud800\"}",           /* lone escape */
        "{\"version\":1,\"cmd\":\"\\udc00x\\ud83d\"}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
        error_reply_is_utf8(reqs[i]);
}

/* A name that is not UTF-8 matches no domain: refused by name. */
static void test_names_must_be_utf8(void **state)
{
    (void)state;
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"a\xed\xa0\x80\"}",
        -EINVAL, "'domain' is not valid UTF-8");
    bad("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"\xc1\xbf\"}", -EINVAL,
        "'domain' is not valid UTF-8");
    assert_int_equal(
        parse("{\"version\":1,\"cmd\":\"auto\",\"domain\":\"w\xc3\xa9" "b\"}"), 0);
}

/* Any string a reply carries is made UTF-8 (guest names, reasons). */
static void test_gen_str_cleans(void **state)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;

    (void)state;
    assert_int_equal(yajl_gen_map_open(g), yajl_gen_status_ok);
    assert_int_equal(bd_gen_str(g, "name", "vm\xff\xed\xa0\x80\xc3"), 0);
    assert_int_equal(bd_gen_str(g, "k\xc0\x80", "ok \xe2\x82\xac"), 0);
    assert_int_equal(yajl_gen_map_close(g), yajl_gen_status_ok);
    assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
    assert_true(strict_utf8(buf, len));
    assert_non_null(strstr((const char *)buf, "\"vm?????\""));
    assert_non_null(strstr((const char *)buf, "\"ok \xe2\x82\xac\""));
    yajl_gen_free(g);
}

/* bd_proto_quote(): never cuts a character, never grows. */
static void test_quote(void **state)
{
    char q[8];

    (void)state;
    assert_string_equal(bd_proto_quote(q, sizeof(q), "ab\xc3\xa9", 3), "ab");
    assert_string_equal(bd_proto_quote(q, sizeof(q), "ab\xc3\xa9", 4),
                        "ab\xc3\xa9");
    assert_string_equal(bd_proto_quote(q, sizeof(q), "a\nb\x7f", 10), "a b ");
    assert_string_equal(bd_proto_quote(q, sizeof(q), "\xc3" "x", 10), "?x");
    assert_string_equal(bd_proto_quote(q, sizeof(q), "\xf0\x9f\x98", 10), "???");
    /* out too small for the last character: left out whole */
    assert_string_equal(bd_proto_quote(q, 4, "ab\xe2\x82\xac", 10), "ab");
    assert_true(bd_proto_utf8_valid("\xf4\x8f\xbf\xbf", 4));
    assert_false(bd_proto_utf8_valid("\xf4\x90\x80\x80", 4));
    assert_false(bd_proto_utf8_valid("\xe0\x9f\xbf", 3));
}

static void test_names_tables(void **state)
{
    enum bd_mode m;

    (void)state;
    for (int c = 0; c < BD_CTL__COUNT; c++)
        assert_non_null(bd_ctl_cmd_name((enum bd_ctl_cmd)c));
    assert_null(bd_ctl_cmd_name(BD_CTL__COUNT));
    assert_true(bd_ctl_cmd_readonly(BD_CTL_SHOW));
    assert_true(bd_ctl_cmd_readonly(BD_CTL_METRICS));
    assert_true(bd_ctl_cmd_readonly(BD_CTL_STATUS));
    assert_false(bd_ctl_cmd_readonly(BD_CTL_SET));
    assert_false(bd_ctl_cmd_readonly(BD_CTL_RELOAD));
    assert_false(bd_ctl_cmd_readonly(BD_CTL_RESERVE));
    assert_int_equal(bd_mode_parse("ignore", &m), 0);
    assert_int_equal(m, BD_MODE_IGNORE);
    assert_int_equal(bd_mode_parse("Auto", &m), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_cmd),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_too_many_domains),
        cmocka_unit_test(test_failed_request_is_zeroed),
        cmocka_unit_test(test_gen_error),
        cmocka_unit_test(test_gen_domain),
        cmocka_unit_test(test_gen_reserve),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_names_tables),
        cmocka_unit_test(test_error_replies_are_utf8),
        cmocka_unit_test(test_names_must_be_utf8),
        cmocka_unit_test(test_gen_str_cleans),
        cmocka_unit_test(test_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
