/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json-check.c - whether stdin is exactly one JSON document (integration
 * tests only: no python3 or jq on a bare build machine).
 *
 *   json-check < FILE
 *
 * Parses all of stdin with yajl's tree parser, which refuses trailing
 * garbage and a second document; prints the top-level keys of an object,
 * comma-separated, and exits 0; exits 1 with the parser's message on
 * stderr when it is not one document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#define MAX_INPUT (1 << 20)

int main(void)
{
    char *buf = malloc(MAX_INPUT + 1), err[256] = "";
    size_t n;
    yajl_val v;

    if (!buf)
        return 2;
    n = fread(buf, 1, MAX_INPUT, stdin);
    buf[n] = '\0';
    if (n == 0 || memchr(buf, '\0', n)) {
        fprintf(stderr, "json-check: %s\n", n ? "NUL byte" : "empty input");
        free(buf);
        return 1;
    }
    v = yajl_tree_parse(buf, err, sizeof(err));
    free(buf);
    if (!v) {
        fprintf(stderr, "json-check: %s\n", err);
        return 1;
    }
    if (YAJL_IS_OBJECT(v))
        for (size_t i = 0; i < v->u.object.len; i++)
            printf("%s%s", i ? "," : "", v->u.object.keys[i]);
    printf("\n");
    yajl_tree_free(v);
    return 0;
}
