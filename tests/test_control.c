/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_control.c - the control socket server in a real sd-event loop, on a
 * real socket in a temporary directory, against a fake ops table.
 *
 * The client side runs in the same thread: it writes a request, then turns
 * the event loop until the reply line arrives.  Tests that need a second
 * process (another uid, a client that never reads) fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "daemon/control/control.h"

static sd_event *ev;
static struct bd_ctl_server *srv;
static char dir[64];
static char sock_path[96];
/* A child still running when a test fails is killed by teardown. */
static pid_t hog_pid;

/* What the fake daemon saw and should do. */
static struct {
    int n_status, n_set, n_reserve, n_abandoned, n_logs;
    uint64_t set_kib;
    char set_name[BD_PROTO_NAME_MAX + 1];
    uid_t last_uid;
    size_t metrics_len;         /* size of the "text" metrics returns */
    bool reload_unbalanced;     /* reload leaves an open map (a bug) */
    int reserve_mode;           /* 0 keep, 1 finish inside, 2 refuse */
    struct bd_ctl_pending *pending;
    uint64_t reserve_kib, reserve_timeout;
    bool reserve_force;
} fake;

/*
 * Socket faults (issue 24), through linker wraps of accept4, recv and
 * send: only the server's side fails (the fds accept4 returned), with
 * the errors the kernel gives: EMFILE at accept, ECONNRESET at read,
 * EPIPE at write.  sk.fail_nth: fail that many server-side calls of
 * sk.op from the next one on (0 = none).
 */
enum sk_op { SK_ACCEPT, SK_RECV, SK_SEND };
static struct {
    enum sk_op op;
    int err;
    int fail_n;       /* calls still to fail */
    int fired;
    bool server_fd[1024];
} sk;

int __real_accept4(int fd, struct sockaddr *a, socklen_t *l, int flags);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
int __wrap_accept4(int fd, struct sockaddr *a, socklen_t *l, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);

static bool sk_fail(enum sk_op op, int fd)
{
    if (sk.op != op || sk.fail_n <= 0 ||
        (op != SK_ACCEPT && (fd < 0 || fd >= 1024 || !sk.server_fd[fd])))
        return false;
    sk.fail_n--;
    sk.fired++;
    errno = sk.err;
    return true;
}

int __wrap_accept4(int fd, struct sockaddr *a, socklen_t *l, int flags)
{
    int r;

    if (sk_fail(SK_ACCEPT, fd))
        return -1;
    r = __real_accept4(fd, a, l, flags);
    if (r >= 0 && r < 1024)
        sk.server_fd[r] = true;
    return r;
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
    return sk_fail(SK_RECV, fd) ? -1 : __real_recv(fd, buf, len, flags);
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    return sk_fail(SK_SEND, fd) ? -1 : __real_send(fd, buf, len, flags);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int op_status(struct bd_ctl_call *call)
{
    fake.n_status++;
    fake.last_uid = call->uid;
    return bd_gen_str(call->g, "hello", "world");
}

static int op_show(struct bd_ctl_call *call, const struct bd_ctl_domref *d,
                   size_t n)
{
    int rc = bd_gen_key(call->g, "domains");

    yajl_gen_array_open(call->g);
    for (size_t i = 0; i < n && !rc; i++) {
        struct bd_ctl_dom_info info = {
            .domid = d[i].by_id ? d[i].domid : 99,
            .name = d[i].by_id ? "byid" : d[i].name,
            .state = "ok",
        };
        if (!d[i].by_id && !strcmp(d[i].name, "ghost"))
            return bd_ctl_fail(call, -ENOENT, "no domain '%s'", d[i].name);
        rc = bd_proto_gen_domain(call->g, &info);
    }
    yajl_gen_array_close(call->g);
    return rc;
}

static int op_set(struct bd_ctl_call *call, const struct bd_ctl_domref *d,
                  uint64_t kib, bool force)
{
    (void)force;
    fake.n_set++;
    fake.set_kib = kib;
    fake.last_uid = call->uid;
    snprintf(fake.set_name, sizeof(fake.set_name), "%s", d->name);
    if (kib > 1000000)
        return bd_ctl_fail(call, -ENOSPC, "too big:\nonly %d free", 5);
    return 0;
}

static int op_auto(struct bd_ctl_call *call, const struct bd_ctl_domref *d)
{
    (void)d;
    (void)call;
    return -EBUSY; /* no message: strerror */
}

static int op_limits(struct bd_ctl_call *call,
                     const struct bd_ctl_limits_args *a)
{
    return bd_gen_u64(call->g, "weight", a->weight);
}

static int op_reserve(struct bd_ctl_call *call, uint64_t kib,
                      uint64_t timeout_ms, bool force,
                      struct bd_ctl_pending *p)
{
    fake.n_reserve++;
    fake.reserve_force = force;
    fake.reserve_kib = kib;
    fake.reserve_timeout = timeout_ms;
    assert_int_equal(bd_ctl_pending_kib(p), kib);
    assert_int_equal(bd_ctl_pending_timeout_ms(p), timeout_ms);
    if (fake.reserve_mode == 2)
        return bd_ctl_fail(call, -ENOMEM, "host has only 3M");
    if (fake.reserve_mode == 1) {
        struct bd_ctl_reserve_result r = {
            .ok = true, .id = 77, .kib = kib, .achieved_kib = kib,
            .hold_ms = 1000};
        bd_ctl_reserve_finish(p, &r);
        return 0;
    }
    fake.pending = p;
    return 0;
}

static void op_abandoned(void *ud, struct bd_ctl_pending *p)
{
    (void)ud;
    assert_ptr_equal(p, fake.pending);
    assert_true(bd_ctl_pending_abandoned(p));
    fake.n_abandoned++;
}

static int op_release(struct bd_ctl_call *call, uint64_t id)
{
    return bd_gen_u64(call->g, "id", id);
}

static int op_reload(struct bd_ctl_call *call)
{
    if (fake.reload_unbalanced) {
        bd_gen_key(call->g, "x");
        yajl_gen_map_open(call->g);
        return 0;
    }
    return bd_gen_str(call->g, "config", "/etc/x");
}

static int op_metrics(struct bd_ctl_call *call)
{
    char *text = malloc(fake.metrics_len + 1);
    int rc;

    memset(text, 'm', fake.metrics_len);
    text[fake.metrics_len] = '\0';
    rc = bd_gen_str(call->g, "text", text);
    free(text);
    return rc;
}

static void op_log(void *ud, int prio, const char *msg)
{
    (void)ud;
    (void)msg;
    if (prio <= LOG_WARNING)
        fake.n_logs++;
}

static const struct bd_ctl_ops ops = {
    .status = op_status, .show = op_show, .set = op_set, .auto_ = op_auto,
    .limits = op_limits, .reserve = op_reserve,
    .reserve_abandoned = op_abandoned, .release = op_release,
    .reload = op_reload, .metrics = op_metrics, .log = op_log,
};

static int setup(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof(fake));
    snprintf(dir, sizeof(dir), "/tmp/test_control.XXXXXX");
    assert_non_null(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(sock_path, sizeof(sock_path), "%s/run/control", dir);
    assert_int_equal(sd_event_new(&ev), 0);
    srv = NULL;
    return 0;
}

static int teardown(void **state)
{
    char cmd[200];

    (void)state;
    if (hog_pid > 0) {
        kill(hog_pid, SIGKILL);
        waitpid(hog_pid, NULL, 0);
        hog_pid = 0;
    }
    bd_ctl_server_free(srv);
    srv = NULL;
    sd_event_unref(ev);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void start(const char *group, bool ro)
{
    assert_int_equal(bd_ctl_server_new(ev, sock_path, group, ro, &ops, NULL,
                                       &srv), 0);
}

static int client(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    strcpy(sa.sun_path, sock_path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void send_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        s += n;
        len -= (size_t)n;
    }
}

/* Turn the loop until fd has a whole line (returned, malloc'd) or EOF
 * (NULL) or timeout_ms passes (fails the test). */
static char *read_line(int fd, uint64_t timeout_ms)
{
    static char buf[1 << 16];
    static size_t have;
    static int buf_fd = -1;
    uint64_t end = now_ms() + timeout_ms;
    char *big = NULL;
    size_t big_len = 0;

    if (buf_fd != fd) {
        buf_fd = fd;
        have = 0;
    }
    for (;;) {
        char *nl = memchr(buf, '\n', have);
        if (nl) {
            size_t len = (size_t)(nl - buf);
            char *line = malloc(big_len + len + 1);
            if (big_len)
                memcpy(line, big, big_len);
            memcpy(line + big_len, buf, len);
            line[big_len + len] = '\0';
            memmove(buf, nl + 1, have - len - 1);
            have -= len + 1;
            free(big);
            return line;
        }
        if (have == sizeof(buf)) {
            char *nb = realloc(big, big_len + have);
            assert_non_null(nb);
            big = nb;
            memcpy(big + big_len, buf, have);
            big_len += have;
            have = 0;
        }
        ssize_t n = recv(fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
        if (n > 0) {
            have += (size_t)n;
            continue;
        }
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            free(big);
            return NULL;
        }
        if (now_ms() > end)
            fail_msg("no reply within %llu ms",
                     (unsigned long long)timeout_ms);
        sd_event_run(ev, 5000);
    }
}

static char *roundtrip(int fd, const char *req)
{
    send_all(fd, req, strlen(req));
    return read_line(fd, 5000);
}

static yajl_val parse_reply(const char *line)
{
    yajl_val v;

    assert_non_null(line);
    v = yajl_tree_parse(line, NULL, 0);
    if (!v)
        fail_msg("reply is not JSON: %s", line);
    return v;
}

static yajl_val get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_any);
}

/* Expect an ok reply; returns it parsed. */
static yajl_val expect_ok(char *line)
{
    yajl_val v = parse_reply(line);

    if (!YAJL_IS_TRUE(get(v, "ok")))
        fail_msg("expected ok, got %s", line);
    assert_int_equal(YAJL_GET_INTEGER(get(v, "version")), 1);
    free(line);
    return v;
}

static void expect_error(char *line, const char *what)
{
    yajl_val v = parse_reply(line);
    const char *e;

    if (!YAJL_IS_FALSE(get(v, "ok")))
        fail_msg("expected an error, got %s", line);
    e = YAJL_GET_STRING(get(v, "error"));
    assert_non_null(e);
    if (!strstr(e, what))
        fail_msg("error '%s' does not mention '%s'", e, what);
    yajl_tree_free(v);
    free(line);
}

/* Turn the loop until nothing is ready. */
static void settle(void)
{
    while (sd_event_run(ev, 0) > 0)
        ;
}

#define REQ(cmd) "{\"version\":1,\"cmd\":\"" cmd "\"}\n"

static void test_socket_file(void **state)
{
    struct stat st;
    struct group *gr = getgrgid(getgid());

    (void)state;
    start(NULL, false);
    assert_int_equal(stat(sock_path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    bd_ctl_server_free(srv);
    srv = NULL;
    assert_int_equal(stat(sock_path, &st), -1);

    assert_non_null(gr);
    start(gr->gr_name, false);
    assert_int_equal(stat(sock_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660);
    assert_int_equal(st.st_gid, getgid());
    assert_int_equal(bd_ctl_server_set_access(srv, gr->gr_name, true), 0);
    assert_int_equal(stat(sock_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666);
    assert_int_equal(bd_ctl_server_set_access(srv, "no-such-group-xyz",
                                              false), -ENOENT);
    assert_int_equal(stat(sock_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666);
}

static void test_bad_setup(void **state)
{
    struct bd_ctl_server *other = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct bd_ctl_ops partial = ops;
    int fd;

    (void)state;
    assert_int_equal(bd_ctl_server_new(ev, sock_path, "no-such-group-xyz",
                                       false, &ops, NULL, &other), -ENOENT);
    partial.metrics = NULL;
    assert_int_equal(bd_ctl_server_new(ev, sock_path, NULL, false, &partial,
                                       NULL, &other), -EINVAL);

    /* A stale socket (bound, nobody listening) is replaced. */
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run", dir);
    assert_int_equal(mkdir(sa.sun_path, 0755), 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    start(NULL, false);

    /* A live one is not. */
    assert_int_equal(bd_ctl_server_new(ev, sock_path, NULL, false, &ops, NULL,
                                       &other), -EADDRINUSE);
    bd_ctl_server_free(srv);
    srv = NULL;

    /* Neither is a regular file. */
    fd = open(sock_path, O_CREAT | O_WRONLY, 0600);
    close(fd);
    assert_int_equal(bd_ctl_server_new(ev, sock_path, NULL, false, &ops, NULL,
                                       &other), -EEXIST);
}

static void test_requests(void **state)
{
    yajl_val v;
    int fd;

    (void)state;
    start(NULL, false);
    fd = client();

    v = expect_ok(roundtrip(fd, REQ("status")));
    assert_string_equal(YAJL_GET_STRING(get(v, "hello")), "world");
    yajl_tree_free(v);
    assert_int_equal(fake.n_status, 1);
    assert_int_equal(fake.last_uid, getuid());

    /* Typed arguments reach the handler. */
    v = expect_ok(roundtrip(fd, "{\"version\":1,\"cmd\":\"set\",\"domain\":"
                                "\"web\",\"target_kib\":4096}\n"));
    yajl_tree_free(v);
    assert_int_equal(fake.set_kib, 4096);
    assert_string_equal(fake.set_name, "web");

    /* A handler's error, flattened to one line. */
    expect_error(roundtrip(fd, "{\"version\":1,\"cmd\":\"set\",\"domain\":"
                               "\"web\",\"target_kib\":2000000}\n"),
                 "too big: only 5 free");
    /* A handler's bare errno. */
    expect_error(roundtrip(fd, "{\"version\":1,\"cmd\":\"auto\",\"domain\":"
                               "3}\n"), strerror(EBUSY));
    /* Show with names and ids. */
    v = expect_ok(roundtrip(fd, "{\"version\":1,\"cmd\":\"show\",\"domains\":"
                                "[\"a\",5]}\n"));
    {
        yajl_val d = get(v, "domains");
        assert_true(YAJL_IS_ARRAY(d));
        assert_int_equal(d->u.array.len, 2);
        assert_string_equal(
            YAJL_GET_STRING(get(d->u.array.values[0], "name")), "a");
        assert_int_equal(
            YAJL_GET_INTEGER(get(d->u.array.values[1], "domid")), 5);
    }
    yajl_tree_free(v);
    expect_error(roundtrip(fd, "{\"version\":1,\"cmd\":\"show\",\"domains\":"
                               "[\"ghost\"]}\n"), "no domain 'ghost'");

    /* A handler that breaks the reply gets a clean error, not garbage. */
    fake.reload_unbalanced = true;
    expect_error(roundtrip(fd, REQ("reload")), "internal error");
    fake.reload_unbalanced = false;
    v = expect_ok(roundtrip(fd, REQ("reload")));
    yajl_tree_free(v);

    /* The connection survives all of it. */
    v = expect_ok(roundtrip(fd, REQ("status")));
    yajl_tree_free(v);
    close(fd);
    settle();
    assert_int_equal(bd_ctl_server_n_connections(srv), 0);
}

static void test_malformed_keeps_connection(void **state)
{
    yajl_val v;
    int fd, logs;

    (void)state;
    start(NULL, false);
    fd = client();
    expect_error(roundtrip(fd, "not json\n"), "not valid JSON");
    logs = fake.n_logs;
    assert_int_equal(logs, 1);
    expect_error(roundtrip(fd, "{\"version\":1,\"cmd\":\"reboot\"}\n"),
                 "unknown command 'reboot'");
    expect_error(roundtrip(fd, "{\"version\":9,\"cmd\":\"status\"}\n"),
                 "protocol version");
    expect_error(roundtrip(fd, "[]\n"), "not a JSON object");
    v = expect_ok(roundtrip(fd, REQ("status")));
    yajl_tree_free(v);
    /* Still one warning for this client (later ones are debug). */
    assert_int_equal(fake.n_logs, 1);
    assert_int_equal(fake.n_set, 0);
    close(fd);

    /* Many bad clients: warnings are rate-limited across clients. */
    for (int i = 0; i < 30; i++) {
        int fd2 = client();
        expect_error(roundtrip(fd2, "junk\n"), "not valid JSON");
        close(fd2);
    }
    assert_int_equal(fake.n_logs, 10);
}

static void test_pipelined_and_split(void **state)
{
    yajl_val v;
    int fd;

    (void)state;
    start(NULL, false);
    fd = client();
    /* Three requests in one write: three replies, in order. */
    send_all(fd, REQ("status") REQ("metrics") "{\"version\":1,\"cmd\":"
                 "\"release\",\"id\":42}\n",
             strlen(REQ("status") REQ("metrics")) +
                 strlen("{\"version\":1,\"cmd\":\"release\",\"id\":42}\n"));
    v = expect_ok(read_line(fd, 5000));
    assert_non_null(get(v, "hello"));
    yajl_tree_free(v);
    v = expect_ok(read_line(fd, 5000));
    assert_non_null(get(v, "text"));
    yajl_tree_free(v);
    v = expect_ok(read_line(fd, 5000));
    assert_int_equal(YAJL_GET_INTEGER(get(v, "id")), 42);
    yajl_tree_free(v);

    /* One request in many small writes. */
    {
        const char *r = REQ("status");
        for (size_t i = 0; r[i]; i++) {
            send_all(fd, r + i, 1);
            settle();
        }
        v = expect_ok(read_line(fd, 5000));
        yajl_tree_free(v);
    }
    assert_int_equal(fake.n_status, 2);

    /* A last request without '\n' before EOF is still answered. */
    send_all(fd, "{\"version\":1,\"cmd\":\"status\"}", 28);
    shutdown(fd, SHUT_WR);
    v = expect_ok(read_line(fd, 5000));
    yajl_tree_free(v);
    assert_null(read_line(fd, 5000));
    close(fd);
}

static void test_oversized(void **state)
{
    char big[BD_PROTO_MAX_LINE + 500];
    yajl_val v;
    int fd, fd2;

    (void)state;
    start(NULL, false);

    /* Exactly at the limit: fine. */
    fd = client();
    memset(big, ' ', sizeof(big));
    memcpy(big, "{\"version\":1,\"cmd\":\"status\"", 27);
    big[BD_PROTO_MAX_LINE - 2] = '}';
    big[BD_PROTO_MAX_LINE - 1] = '\n';
    send_all(fd, big, BD_PROTO_MAX_LINE);
    v = expect_ok(read_line(fd, 5000));
    yajl_tree_free(v);

    /* One byte more: error reply, then the server closes. */
    big[BD_PROTO_MAX_LINE - 1] = ' ';
    big[BD_PROTO_MAX_LINE - 1 + 1] = '}';
    big[BD_PROTO_MAX_LINE + 1] = '\n';
    big[BD_PROTO_MAX_LINE - 2] = ' ';
    send_all(fd, big, BD_PROTO_MAX_LINE + 2);
    expect_error(read_line(fd, 5000), "longer than 4096 bytes");
    assert_null(read_line(fd, 5000));
    close(fd);

    /* A client streaming garbage without newlines is cut off too, and
     * never gets the server to hold more than one line. */
    fd2 = client();
    memset(big, 'x', sizeof(big));
    send_all(fd2, big, sizeof(big));
    expect_error(read_line(fd2, 5000), "longer than 4096 bytes");
    close(fd2);
    settle();
    assert_int_equal(fake.n_status, 1);
    assert_int_equal(bd_ctl_server_n_connections(srv), 0);
}

static void test_reserve_async(void **state)
{
    struct bd_ctl_reserve_result r = {
        .ok = false, .kib = 2048, .achieved_kib = 1024,
        .error = "timed out: freed 1.0M of 2.0M"};
    yajl_val v;
    int fd, fd2;

    (void)state;
    start(NULL, false);
    fd = client();
    /* reserve and then status, pipelined: status must wait. */
    send_all(fd, "{\"version\":1,\"cmd\":\"reserve\",\"kib\":2048,"
                 "\"timeout_ms\":500}\n" REQ("status"),
             strlen("{\"version\":1,\"cmd\":\"reserve\",\"kib\":2048,"
                    "\"timeout_ms\":500}\n" REQ("status")));
    for (int i = 0; i < 20; i++)
        sd_event_run(ev, 10000);
    assert_int_equal(fake.n_reserve, 1);
    assert_int_equal(fake.reserve_kib, 2048);
    assert_int_equal(fake.reserve_timeout, 500);
    assert_non_null(fake.pending);
    assert_false(bd_ctl_pending_abandoned(fake.pending));
    assert_int_equal(fake.n_status, 0);

    /* Other clients are served meanwhile. */
    fd2 = client();
    v = expect_ok(roundtrip(fd2, REQ("status")));
    yajl_tree_free(v);
    close(fd2);
    assert_int_equal(fake.n_status, 1);

    bd_ctl_reserve_finish(fake.pending, &r);
    fake.pending = NULL;
    {
        char *line = read_line(fd, 5000);
        v = parse_reply(line);
        assert_true(YAJL_IS_FALSE(get(v, "ok")));
        assert_string_equal(YAJL_GET_STRING(get(v, "error")),
                            "timed out: freed 1.0M of 2.0M");
        assert_int_equal(YAJL_GET_INTEGER(get(v, "achieved_kib")), 1024);
        yajl_tree_free(v);
        free(line);
    }
    /* The queued status is answered after the reservation. */
    v = expect_ok(read_line(fd, 5000));
    yajl_tree_free(v);
    assert_int_equal(fake.n_status, 2);

    /* Default timeout; finished inside the handler. */
    fake.reserve_mode = 1;
    v = expect_ok(roundtrip(fd, "{\"version\":1,\"cmd\":\"reserve\",\"kib\":"
                                "8}\n"));
    assert_int_equal(YAJL_GET_INTEGER(get(v, "id")), 77);
    assert_int_equal(YAJL_GET_INTEGER(get(v, "hold_ms")), 1000);
    yajl_tree_free(v);
    assert_int_equal(fake.reserve_timeout, BD_PROTO_DEFAULT_TIMEOUT_MS);
    assert_false(fake.reserve_force);
    v = expect_ok(roundtrip(fd, "{\"version\":1,\"cmd\":\"reserve\",\"kib\":"
                                "8,\"force\":true}\n"));
    yajl_tree_free(v);
    assert_true(fake.reserve_force);

    /* Refused at once. */
    fake.reserve_mode = 2;
    expect_error(roundtrip(fd, "{\"version\":1,\"cmd\":\"reserve\",\"kib\":"
                               "8}\n"), "host has only 3M");
    close(fd);
}

#define RESERVE5 "{\"version\":1,\"cmd\":\"reserve\",\"kib\":5}\n"

static void test_reserve_abandoned(void **state)
{
    struct bd_ctl_reserve_result r = {.ok = true, .id = 1, .kib = 5};
    int fd;

    (void)state;
    start(NULL, false);
    fd = client();
    send_all(fd, RESERVE5, strlen(RESERVE5));
    for (int i = 0; i < 10 && !fake.pending; i++)
        sd_event_run(ev, 10000);
    assert_non_null(fake.pending);
    close(fd);
    for (int i = 0; i < 10 && !fake.n_abandoned; i++)
        sd_event_run(ev, 100000);
    assert_int_equal(fake.n_abandoned, 1);
    assert_true(bd_ctl_pending_abandoned(fake.pending));
    assert_int_equal(bd_ctl_server_n_connections(srv), 0);
    /* Finishing an abandoned reservation just frees it (ASan checks). */
    bd_ctl_reserve_finish(fake.pending, &r);
    fake.pending = NULL;

    /* Server freed with a pending reservation: it stays valid. */
    fd = client();
    send_all(fd, RESERVE5, strlen(RESERVE5));
    for (int i = 0; i < 10 && !fake.pending; i++)
        sd_event_run(ev, 10000);
    assert_non_null(fake.pending);
    bd_ctl_server_free(srv);
    srv = NULL;
    assert_true(bd_ctl_pending_abandoned(fake.pending));
    assert_int_equal(fake.n_abandoned, 1);
    bd_ctl_reserve_finish(fake.pending, &r);
    fake.pending = NULL;
    close(fd);
}

/* A client that sends a request and never reads the (big) reply must not
 * stall anybody, and is dropped by the idle timeout. */
static void test_stuck_reader(void **state)
{
    yajl_val v;
    int fd, fd2;
    uint64_t t0;

    (void)state;
    start(NULL, false);
    bd_ctl_server_set_idle_timeout(srv, 2000);
    fake.metrics_len = 8 * 1024 * 1024;
    fd = client();
    send_all(fd, REQ("metrics"), strlen(REQ("metrics")));
    t0 = now_ms();
    for (int i = 0; i < 20; i++)
        sd_event_run(ev, 1000);
    /* The loop kept turning: another client is served at once. */
    fd2 = client();
    v = expect_ok(roundtrip(fd2, REQ("status")));
    yajl_tree_free(v);
    close(fd2);
    settle();
    assert_int_equal(bd_ctl_server_n_connections(srv), 1);
    /* ... until the idle timeout drops the stuck one. */
    while (bd_ctl_server_n_connections(srv) > 0 && now_ms() - t0 < 10000)
        sd_event_run(ev, 50000);
    assert_int_equal(bd_ctl_server_n_connections(srv), 0);
    close(fd);
}

static void test_idle_and_limit(void **state)
{
    int fds[BD_CTL_MAX_CONNECTIONS + 1];
    uint64_t t0;
    int fd;

    (void)state;
    start(NULL, false);
    bd_ctl_server_set_idle_timeout(srv, 200);
    /* A client that says nothing. */
    fd = client();
    settle();
    assert_int_equal(bd_ctl_server_n_connections(srv), 1);
    t0 = now_ms();
    assert_null(read_line(fd, 3000));
    assert_true(now_ms() - t0 >= 150);
    close(fd);
    assert_int_equal(bd_ctl_server_n_connections(srv), 0);

    bd_ctl_server_set_idle_timeout(srv, 30000);
    for (int i = 0; i < BD_CTL_MAX_CONNECTIONS; i++) {
        fds[i] = client();
        settle();
    }
    assert_int_equal(bd_ctl_server_n_connections(srv),
                     BD_CTL_MAX_CONNECTIONS);
    fds[BD_CTL_MAX_CONNECTIONS] = client();
    expect_error(read_line(fds[BD_CTL_MAX_CONNECTIONS], 5000),
                 "too many connections");
    for (int i = 0; i <= BD_CTL_MAX_CONNECTIONS; i++)
        close(fds[i]);
    settle();
    assert_int_equal(bd_ctl_server_n_connections(srv), 0);
}

/* Run fn as uid/gid 65534 in a child; the parent turns the loop. */
static void as_nobody(void (*fn)(void))
{
    pid_t pid;
    int status = 0;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
            _exit(99);
        fn();
        _exit(0);
    }
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        sd_event_run(ev, 10000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed: status %d", status);
}

/* In the child: plain blocking I/O, no cmocka. */
static char *child_roundtrip(const char *req)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    static char buf[4096];
    size_t have = 0;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, sock_path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(buf, sizeof(buf), "connect: %s", strerror(errno));
        close(fd);
        return buf;
    }
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        _exit(98);
    while (have < sizeof(buf) - 1) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        if (memchr(buf, '\n', have))
            break;
    }
    buf[have] = '\0';
    close(fd);
    return buf;
}

static void nobody_refused_connect(void)
{
    if (!strstr(child_roundtrip(REQ("status")), "Permission denied"))
        _exit(1);
}

static void nobody_readonly(void)
{
    const char *r = child_roundtrip(REQ("status"));
    if (!strstr(r, "\"ok\":true"))
        _exit(2);
    r = child_roundtrip("{\"version\":1,\"cmd\":\"set\",\"domain\":\"a\","
                        "\"target_kib\":5}\n");
    if (!strstr(r, "permission denied: 'set' needs root"))
        _exit(3);
    r = child_roundtrip(REQ("reload"));
    if (!strstr(r, "permission denied"))
        _exit(4);
}

static void nobody_in_group(void)
{
    const char *r = child_roundtrip("{\"version\":1,\"cmd\":\"set\","
                                    "\"domain\":\"a\",\"target_kib\":5}\n");
    if (!strstr(r, "\"ok\":true"))
        _exit(5);
}

static void test_permissions(void **state)
{
    struct group *gr;

    (void)state;
    if (geteuid() != 0) {
        skip();
        return;
    }
    /* Socket 0600 root: nobody cannot even connect. */
    start(NULL, false);
    as_nobody(nobody_refused_connect);
    bd_ctl_server_free(srv);
    srv = NULL;

    /* Read-only allowed: status works, changes are refused. */
    start(NULL, true);
    as_nobody(nobody_readonly);
    assert_int_equal(fake.n_set, 0);
    assert_int_equal(fake.n_status, 1);
    assert_int_equal(fake.last_uid, 65534);
    bd_ctl_server_free(srv);
    srv = NULL;

    /* Group 65534 (nogroup): its members may change things. */
    gr = getgrgid(65534);
    if (!gr)
        return;
    start(gr->gr_name, false);
    as_nobody(nobody_in_group);
    assert_int_equal(fake.n_set, 1);
    assert_int_equal(fake.last_uid, 65534);
}

/* In a child: connect (blocking); -1 on failure. */
static int child_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, sock_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -1;
    return fd;
}

/* In a child: read one line (blocking) into buf; its length or -1. */
static ssize_t child_read_line(int fd, char *buf, size_t len)
{
    size_t have = 0;

    while (have < len - 1) {
        ssize_t n = read(fd, buf + have, 1);
        if (n <= 0)
            return -1;
        if (buf[have++] == '\n')
            break;
    }
    buf[have] = '\0';
    return (ssize_t)have;
}

static int sync_pipe[2], go_pipe[2];

/*
 * The child of test_uid_slots (uid 65534): open every connection it can,
 * each with a status request whose reply it reads, keep them open, tell
 * the parent how many it got, and hold them until told to go.
 */
static void nobody_hogs_slots(void)
{
    static int fds[BD_CTL_MAX_CONNECTIONS + 8];
    unsigned char n_ok = 0, n_refused = 0;
    char line[512], c;

    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        fds[i] = child_connect();
        if (fds[i] < 0)
            _exit(10);
        /* A refused connection may be closed before the request is
         * sent: its reply is there to read all the same. */
        (void)!send(fds[i], REQ("status"), strlen(REQ("status")),
                    MSG_NOSIGNAL);
        if (child_read_line(fds[i], line, sizeof(line)) < 0)
            _exit(13);
        if (strstr(line, "\"ok\":true"))
            n_ok++;
        else if (strstr(line, "too many connections"))
            n_refused++;
        else
            _exit(11);
    }
    if (write(sync_pipe[1], &n_ok, 1) != 1 ||
        write(sync_pipe[1], &n_refused, 1) != 1 ||
        read(go_pipe[0], &c, 1) != 1)
        _exit(12);
    _exit(0);
}

/* Turn the loop until fd is readable. */
static void loop_until_readable(int fd)
{
    uint64_t end = now_ms() + 20000;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) == 1)
            return;
        if (now_ms() > end)
            fail_msg("child made no progress");
        sd_event_run(ev, 10000);
    }
}

static void wait_child(pid_t pid)
{
    int status = 0;

    for (;;) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        sd_event_run(ev, 10000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed: status %d", status);
}

/*
 * Regression (issue 14): with allow-readonly one unprivileged user could
 * hold all 64 connection slots and root's status got "too many
 * connections".  A uid other than root gets at most BD_CTL_MAX_PER_UID,
 * and root always gets in.
 */
static void test_uid_slots(void **state)
{
    unsigned char n_ok = 0, n_refused = 0;
    yajl_val v;
    pid_t pid;
    int fd;

    (void)state;
    if (geteuid() != 0) {
        skip();
        return;
    }
    start(NULL, true);
    assert_int_equal(pipe(sync_pipe), 0);
    assert_int_equal(pipe(go_pipe), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
            _exit(99);
        nobody_hogs_slots();
    }
    hog_pid = pid;
    loop_until_readable(sync_pipe[0]);
    assert_int_equal(read(sync_pipe[0], &n_ok, 1), 1);
    assert_int_equal(read(sync_pipe[0], &n_refused, 1), 1);
    assert_int_equal(n_ok, BD_CTL_MAX_PER_UID);
    assert_int_equal(n_ok + n_refused, BD_CTL_MAX_CONNECTIONS + 8);
    assert_int_equal(bd_ctl_server_n_connections(srv), BD_CTL_MAX_PER_UID);

    /* Root, meanwhile: every slot that is left, and status answers. */
    fd = client();
    v = expect_ok(roundtrip(fd, REQ("status")));
    yajl_tree_free(v);
    close(fd);

    assert_int_equal(write(go_pipe[1], "x", 1), 1);
    hog_pid = 0;
    wait_child(pid);
    settle();
    close(sync_pipe[0]);
    close(sync_pipe[1]);
    close(go_pipe[0]);
    close(go_pipe[1]);
}

/* The child of test_oversized_no_reset: a blocking client that sends far
 * more than a line, then reads. */
static void child_sends_too_much(void)
{
    static char big[256 * 1024];
    char line[512];
    size_t off = 0;
    int fd = child_connect();

    if (fd < 0)
        _exit(20);
    memset(big, 'x', sizeof(big));
    while (off < sizeof(big)) {
        ssize_t n = send(fd, big + off, sizeof(big) - off, MSG_NOSIGNAL);
        if (n <= 0)
            _exit(21); /* reset under our feet */
        off += (size_t)n;
    }
    if (child_read_line(fd, line, sizeof(line)) < 0)
        _exit(22);
    if (!strstr(line, "longer than 4096 bytes"))
        _exit(23);
    /* Then a clean EOF. */
    if (read(fd, line, 1) != 0)
        _exit(24);
    _exit(0);
}

/*
 * Regression (issue 14): a client sending more than 4096 bytes sometimes
 * got a connection reset instead of the "too long" error: the server
 * closed with the rest of the input unread.  It now answers, sends EOF and
 * drops the input until the client is done.
 */
static void test_oversized_no_reset(void **state)
{
    pid_t pid;

    (void)state;
    start(NULL, false);
    for (int round = 0; round < 5; round++) {
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child_sends_too_much();
        wait_child(pid);
    }
    settle();
    assert_int_equal(bd_ctl_server_n_connections(srv), 0);
}

/* A failed accept (out of fds), read or write on the server's side: the
 * one connection goes (or waits), the error is logged once per episode,
 * and the next client is served as if nothing happened. */
static void test_socket_faults(void **state)
{
    static const struct {
        enum sk_op op;
        int err, n;
    } cases[] = {
        {SK_ACCEPT, EMFILE, 2}, {SK_ACCEPT, ENFILE, 1},
        {SK_RECV, ECONNRESET, 1}, {SK_RECV, EIO, 1},
        {SK_SEND, EPIPE, 1}, {SK_SEND, ECONNRESET, 1},
    };
    yajl_val v;
    char *line;
    int fd, logs;

    (void)state;
    start(NULL, false);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(sk.server_fd, 0, sizeof(sk.server_fd));
        sk.op = cases[i].op;
        sk.err = cases[i].err;
        sk.fail_n = cases[i].n;
        sk.fired = 0;
        logs = fake.n_logs;
        fd = client();
        send_all(fd, REQ("status"), strlen(REQ("status")));
        line = read_line(fd, 8000);
        /* accept: the client waits and is served once accepting resumes;
         * read or write: that connection is closed, never half a reply */
        if (cases[i].op == SK_ACCEPT)
            yajl_tree_free(expect_ok(line));
        else if (line)
            fail_msg("case %zu: a reply after a failed %s: %s", i,
                     cases[i].op == SK_RECV ? "read" : "write", line);
        close(fd);
        assert_int_equal(sk.fired, cases[i].n);
        if (cases[i].op == SK_ACCEPT) /* once per episode: each case */
            assert_int_equal(fake.n_logs, logs + 1);
        else
            assert_true(fake.n_logs <= logs + 1);
        /* the next client, as if nothing happened */
        fd = client();
        v = expect_ok(roundtrip(fd, REQ("status")));
        yajl_tree_free(v);
        close(fd);
        settle();
        assert_int_equal(bd_ctl_server_n_connections(srv), 0);
    }
    sk.fail_n = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_setup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_keeps_connection,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_and_split, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserve_abandoned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stuck_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_and_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uid_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_no_reset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_socket_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
