/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_client.c - balloonctl's reading of replies (cli/client.c) against
 * what a hostile or broken peer on the socket path can send.
 *
 * The peer is a forked child on a real socket in a temporary directory: it
 * reads the request line and answers with canned bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/client.h"
#include "common/proto.h"

static char dir[64];
static char sock_path[96];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_client.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(sock_path, sizeof(sock_path), "%s/control", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(sock_path);
    rmdir(dir);
    return 0;
}

/* A one-shot peer that answers the first request with reply[0..len). */
static pid_t peer(const char *reply, size_t len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pid_t pid;

    assert_true(lfd >= 0);
    strcpy(sa.sun_path, sock_path);
    unlink(sock_path);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = accept(lfd, NULL, NULL);
        char c;

        if (fd < 0)
            _exit(1);
        while (read(fd, &c, 1) == 1 && c != '\n')
            ;
        while (len) {
            ssize_t n = send(fd, reply, len, MSG_NOSIGNAL);
            if (n <= 0)
                _exit(0); /* the client gave up: fine */
            reply += n;
            len -= (size_t)n;
        }
        _exit(0);
    }
    close(lfd);
    return pid;
}

static int call(const char *reply, size_t len, yajl_val *v, char *err,
                size_t errlen)
{
    yajl_gen g = bd_proto_request_begin(BD_CTL_STATUS);
    pid_t pid = peer(reply, len);
    int rc = bctl_call(sock_path, g, 10000, v, err, errlen);

    yajl_gen_free(g);
    waitpid(pid, NULL, 0);
    return rc;
}

static char *nested(size_t depth, bool closed)
{
    char *s = malloc(2 * depth + 2);
    size_t n = 0;

    assert_non_null(s);
    for (size_t i = 0; i < depth; i++)
        s[n++] = '[';
    for (size_t i = 0; closed && i < depth; i++)
        s[n++] = ']';
    s[n++] = '\n';
    s[n] = '\0';
    return s;
}

/*
 * Regression (issue 14): a reply nested ~300,000 deep crashed balloonctl
 * (stack exhausted in yajl's recursive tree code).  It is now refused
 * before any tree is built: exit code 3 with a message.
 */
static void test_deep_reply(void **state)
{
    char err[256] = "";
    yajl_val v = (yajl_val)0x1;

    (void)state;
    for (int closed = 0; closed <= 1; closed++) {
        char *s = nested(1000000, closed);
        assert_int_equal(call(s, strlen(s), &v, err, sizeof(err)),
                         BCTL_EXIT_UNREACHABLE);
        assert_null(v);
        assert_non_null(strstr(err, "nested deeper than"));
        free(s);
    }
}

static int parse(const char *text, yajl_val *v, char *err, size_t errlen)
{
    char *copy = strdup(text);
    int rc;

    assert_non_null(copy);
    rc = bctl_parse_reply(copy, strlen(copy), v, err, errlen);
    free(copy);
    return rc;
}

static void test_parse_reply(void **state)
{
    char err[256], text[256];
    yajl_val v;

    (void)state;
    assert_int_equal(parse("{\"version\":1,\"ok\":true,\"domains\":[{\"a\":"
                           "[1]}]}", &v, err, sizeof(err)), BCTL_EXIT_OK);
    yajl_tree_free(v);
    assert_int_equal(parse("{\"version\":1,\"ok\":false,\"error\":\"x\"}", &v,
                           err, sizeof(err)), BCTL_EXIT_FAILED);
    yajl_tree_free(v);
    /* Brackets inside strings are not nesting. */
    memset(text, 0, sizeof(text));
    strcpy(text, "{\"version\":1,\"ok\":true,\"x\":\"");
    memset(text + strlen(text), '[', 100);
    strcat(text, "\\\"\"}");
    assert_int_equal(parse(text, &v, err, sizeof(err)), BCTL_EXIT_OK);
    yajl_tree_free(v);
    /* At the limit and one past it. */
    {
        char *s = nested(BCTL_MAX_REPLY_DEPTH, true);
        assert_int_equal(bctl_parse_reply(s, strlen(s) - 1, &v, err,
                                          sizeof(err)),
                         BCTL_EXIT_UNREACHABLE);
        assert_non_null(strstr(err, "malformed")); /* an array, not deep */
        free(s);
        s = nested(BCTL_MAX_REPLY_DEPTH + 1, true);
        assert_int_equal(bctl_parse_reply(s, strlen(s) - 1, &v, err,
                                          sizeof(err)),
                         BCTL_EXIT_UNREACHABLE);
        assert_non_null(strstr(err, "nested deeper"));
        free(s);
    }
    assert_int_equal(parse("{\"version\":2,\"ok\":true}", &v, err,
                           sizeof(err)), BCTL_EXIT_UNREACHABLE);
    assert_non_null(strstr(err, "protocol version 2"));
    assert_int_equal(parse("{\"version\":1,\"ok\":tru", &v, err,
                           sizeof(err)), BCTL_EXIT_UNREACHABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deep_reply, setup, teardown),
        cmocka_unit_test(test_parse_reply),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
