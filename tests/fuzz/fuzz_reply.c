/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_reply.c - a reply line as balloonctl parses it
 * (bctl_parse_reply() in cli/client.c) and prints it (cli/format.c).
 *
 * Invariants (client.h): a reply is accepted only as an object with a
 * boolean "ok" and the protocol version, never deeper than
 * BCTL_MAX_REPLY_DEPTH; whatever is accepted can be printed as a table,
 * a status summary and JSON without crashing.
 */
#include <string.h>

#include "cli/client.h"
#include "common/proto.h"
#include "tests/fuzz/fuzz.h"

static unsigned depth(yajl_val v)
{
    unsigned d = 0;

    if (YAJL_IS_OBJECT(v)) {
        for (size_t i = 0; i < v->u.object.len; i++) {
            unsigned k = depth(v->u.object.values[i]);
            d = k > d ? k : d;
        }
        return d + 1;
    }
    if (YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len; i++) {
            unsigned k = depth(v->u.array.values[i]);
            d = k > d ? k : d;
        }
        return d + 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    char err[256];
    yajl_val v = NULL;
    uint64_t ver = 0;
    char *line;
    int rc;

    if (!null)
        null = fopen("/dev/null", "w");
    FUZZ_CHECK(null);
    line = malloc(size + 1);
    FUZZ_CHECK(line);
    if (size)
        memcpy(line, data, size);
    rc = bctl_parse_reply(line, size, &v, err, sizeof(err));
    if (rc == BCTL_EXIT_UNREACHABLE) {
        FUZZ_CHECK(!v);
        FUZZ_CHECK(err[0]);
        free(line);
        return 0;
    }
    FUZZ_CHECK(rc == BCTL_EXIT_OK || rc == BCTL_EXIT_FAILED);
    FUZZ_CHECK(YAJL_IS_OBJECT(v));
    FUZZ_CHECK(depth(v) <= BCTL_MAX_REPLY_DEPTH);
    FUZZ_CHECK(bctl_get_u64(v, "version", &ver) && ver == BD_PROTO_VERSION);
    FUZZ_CHECK((rc == BCTL_EXIT_OK) == bctl_get_bool(v, "ok"));
    bctl_print_status(null, v);
    {
        struct bctl_table_opts t = {.width = 80, .sort = BCTL_SORT_NAME};
        bctl_print_domains(null, bctl_get(v, "domains"), &t);
        t.wide = true;
        t.width = 0;
        t.max_rows = 2;
        t.sort = BCTL_SORT_USED;
        bctl_print_domains(null, bctl_get(v, "domains"), &t);
    }
    bctl_print_explain(null, v);
    FUZZ_CHECK(bctl_print_json(null, v, true) == 0);
    yajl_tree_free(v);
    free(line);
    return 0;
}
