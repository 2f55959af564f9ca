/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_request.c - a control request line as balloond parses it
 * (bd_proto_parse_request() in common/proto.c), and its error reply.
 *
 * Invariants (proto.h): a request that parses has every field within its
 * documented range; one that does not has a one-line message of valid
 * UTF-8, zeroed fields, and its error reply is valid UTF-8 and JSON.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "common/proto.h"
#include "common/size.h"
#include "tests/fuzz/fuzz.h"

static void check_domref(const struct bd_ctl_domref *d)
{
    size_t n = strlen(d->name);

    if (d->by_id) {
        FUZZ_CHECK(d->domid <= BD_PROTO_MAX_DOMID);
        FUZZ_CHECK(n == 0);
        return;
    }
    FUZZ_CHECK(n > 0 && n <= BD_PROTO_NAME_MAX);
    FUZZ_CHECK(bd_proto_utf8_valid(d->name, n));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)d->name[i] >= 0x20 && d->name[i] != 0x7f);
}

static void check_request(const struct bd_ctl_request *r)
{
    const struct bd_ctl_limits_args *l = &r->limits;

    FUZZ_CHECK((unsigned)r->cmd < BD_CTL__COUNT);
    FUZZ_CHECK(r->n_domains <= BD_PROTO_MAX_DOMAINS);
    for (size_t i = 0; i < r->n_domains; i++)
        check_domref(&r->domains[i]);
    switch (r->cmd) {
    case BD_CTL_SET:
        FUZZ_CHECK(r->target_kib >= 1 && r->target_kib <= BD_SIZE_MAX_KIB);
        /* fall through */
    case BD_CTL_AUTO:
        check_domref(&r->domain);
        break;
    case BD_CTL_LIMITS:
        check_domref(&l->domain);
        FUZZ_CHECK(!l->has_min || l->min_kib <= BD_SIZE_MAX_KIB);
        FUZZ_CHECK(!l->has_max || (l->max_kib >= 1 &&
                                   l->max_kib <= BD_SIZE_MAX_KIB));
        FUZZ_CHECK(!(l->has_min && l->has_max) || l->min_kib <= l->max_kib);
        FUZZ_CHECK(!l->has_weight || (l->weight >= BD_PROTO_MIN_WEIGHT &&
                                      l->weight <= BD_PROTO_MAX_WEIGHT));
        FUZZ_CHECK(l->reset != (l->has_min || l->has_max || l->has_weight ||
                                l->has_mode));
        break;
    case BD_CTL_RESERVE:
        FUZZ_CHECK(r->kib >= 1 && r->kib <= BD_SIZE_MAX_KIB);
        FUZZ_CHECK(r->timeout_ms <= BD_PROTO_MAX_TIMEOUT_MS);
        break;
    case BD_CTL_RELEASE:
        FUZZ_CHECK(r->id >= 1 && r->id <= BD_PROTO_MAX_ID);
        break;
    default:
        break;
    }
}

static void check_error_reply(const char *err)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    char *text;
    size_t len;
    yajl_val v;

    FUZZ_CHECK(g);
    FUZZ_CHECK(bd_proto_gen_error(g, err) == 0);
    FUZZ_CHECK(yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok);
    FUZZ_CHECK(bd_proto_utf8_valid((const char *)buf, len));
    FUZZ_CHECK(!memchr(buf, '\n', len));
    text = strndup((const char *)buf, len);
    FUZZ_CHECK(text);
    v = yajl_tree_parse(text, NULL, 0);
    FUZZ_CHECK(v && YAJL_IS_OBJECT(v));
    yajl_tree_free(v);
    free(text);
    yajl_gen_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bd_ctl_request req;
    char err[BD_PROTO_ERR_MAX];
    int rc;

    rc = bd_proto_parse_request((const char *)data, size, &req, err);
    if (rc == 0) {
        FUZZ_CHECK(err[0] == '\0');
        check_request(&req);
        return 0;
    }
    FUZZ_CHECK(rc == -EINVAL || rc == -EMSGSIZE || rc == -EPROTO ||
               rc == -ERANGE || rc == -ENOMEM);
    FUZZ_CHECK(strncmp(err, "invalid request: ", 17) == 0);
    FUZZ_CHECK(bd_proto_utf8_valid(err, strlen(err)));
    for (const char *p = err; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    FUZZ_CHECK(req.n_domains == 0 && req.kib == 0 && req.id == 0 &&
               req.target_kib == 0);
    check_error_reply(err);
    return 0;
}
