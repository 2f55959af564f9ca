/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_agent_xs.c - balloon-agent's xenstore writer against a fake xenstored.
 *
 * No xenstored runs without a hypervisor (see the Xen notes), but
 * libxenstore connects to any Unix socket named by XENSTORED_PATH and
 * speaks the documented wire protocol (xen/io/xs_wire.h) over it.  So this
 * file carries a small fake xenstored: a flat key/value store with
 * transactions applied at commit, plus fault injection (EAGAIN at commit,
 * EACCES under a prefix, a dropped connection).  The writer (agent/xs.c)
 * runs unchanged on top of the real libxenstore.
 *
 * `test_agent_xs --serve SOCKET` runs only the fake xenstored, for
 * tests/test_agent.sh and for measuring the agent's writes per minute: on
 * SIGTERM it prints its counters and store as `key value` lines, then
 * "stat commits N", "stat writes N", ... and exits 0.  BD_FAKE_XS_DENY=PREFIX
 * makes it refuse writes under PREFIX with EACCES; SIGUSR1 empties the
 * store (what a restored domain finds).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <xen/io/xs_wire.h>

#include "agent/report.h"
#include "agent/xs.h"

/* ---- the fake xenstored ------------------------------------------------- */

#define MAX_NODES 64
#define MAX_PATH 256
#define MAX_VAL 256

struct node {
    char path[MAX_PATH];
    char val[MAX_VAL];
    bool used;
};

struct fake {
    pthread_mutex_t lock;
    int listen_fd;
    char sock_path[108];
    struct node store[MAX_NODES];
    /* The open transaction's writes (one client, one transaction). */
    struct node tx[MAX_NODES];
    uint32_t tx_id;
    bool tx_open;
    char last_write[MAX_PATH]; /* last path written in the last commit */
    /* Counters. */
    unsigned commits, aborts, tx_starts, writes, rms, reads, conns;
    /* Faults. */
    unsigned eagain_ends;    /* answer this many commits with EAGAIN */
    char deny_prefix[64];    /* writes under it get EACCES */
    bool drop_next;          /* close the connection at the next request */
};

static struct fake fk = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1 };

static struct node *find(struct node *tab, const char *path)
{
    for (int i = 0; i < MAX_NODES; i++)
        if (tab[i].used && strcmp(tab[i].path, path) == 0)
            return &tab[i];
    return NULL;
}

static int put(struct node *tab, const char *path, const char *val)
{
    struct node *n = find(tab, path);

    for (int i = 0; !n && i < MAX_NODES; i++)
        if (!tab[i].used)
            n = &tab[i];
    if (!n || strlen(path) >= MAX_PATH || strlen(val) >= MAX_VAL)
        return -ENOSPC;
    n->used = true;
    snprintf(n->path, sizeof(n->path), "%s", path);
    snprintf(n->val, sizeof(n->val), "%s", val);
    return 0;
}

/* Look a key up as the client sees it: its transaction first. */
static const char *get(const char *path)
{
    struct node *n;

    if (fk.tx_open && (n = find(fk.tx, path)))
        return n->val[0] == '\x01' ? NULL : n->val; /* \x01: removed */
    n = find(fk.store, path);
    return n ? n->val : NULL;
}

static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static void reply(int fd, const struct xsd_sockmsg *req, uint32_t type,
                  const char *payload, size_t len)
{
    struct xsd_sockmsg h = *req;
    char buf[sizeof(h) + XENSTORE_PAYLOAD_MAX];

    h.type = type;
    h.len = (uint32_t)len;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), payload, len);
    if (write(fd, buf, sizeof(h) + len) < 0)
        return;
}

static void reply_err(int fd, const struct xsd_sockmsg *req, const char *e)
{
    reply(fd, req, XS_ERROR, e, strlen(e) + 1);
}

static void reply_ok(int fd, const struct xsd_sockmsg *req)
{
    reply(fd, req, req->type, "OK", 3);
}

/* Serve one request; returns -1 to drop the connection. */
static int serve_one(int fd)
{
    struct xsd_sockmsg h;
    char p[XENSTORE_PAYLOAD_MAX + 1];
    char val[MAX_VAL];
    const char *v;
    size_t plen;
    int rc = 0;

    if (read_full(fd, &h, sizeof(h)) || h.len > XENSTORE_PAYLOAD_MAX ||
        read_full(fd, p, h.len))
        return -1;
    p[h.len] = '\0';
    pthread_mutex_lock(&fk.lock);
    if (fk.drop_next) {
        fk.drop_next = false;
        rc = -1;
        goto out;
    }
    if (h.tx_id != 0 && (!fk.tx_open || h.tx_id != fk.tx_id)) {
        reply_err(fd, &h, "EINVAL");
        goto out;
    }
    switch (h.type) {
    case XS_TRANSACTION_START:
        fk.tx_starts++;
        memset(fk.tx, 0, sizeof(fk.tx));
        fk.tx_open = true;
        fk.tx_id++;
        snprintf(val, sizeof(val), "%u", fk.tx_id);
        reply(fd, &h, h.type, val, strlen(val) + 1);
        break;
    case XS_TRANSACTION_END:
        if (!fk.tx_open || h.tx_id != fk.tx_id) {
            reply_err(fd, &h, "ENOENT");
            break;
        }
        fk.tx_open = false;
        if (strcmp(p, "F") == 0) {
            fk.aborts++;
        } else if (fk.eagain_ends > 0) {
            fk.eagain_ends--;
            reply_err(fd, &h, "EAGAIN");
            break;
        } else {
            for (int i = 0; i < MAX_NODES; i++) {
                struct node *n = &fk.tx[i], *s;
                if (!n->used)
                    continue;
                if (n->val[0] == '\x01') {
                    if ((s = find(fk.store, n->path)))
                        s->used = false;
                } else {
                    put(fk.store, n->path, n->val);
                }
            }
            fk.commits++;
        }
        reply_ok(fd, &h);
        break;
    case XS_WRITE:
        plen = strnlen(p, h.len);
        if (plen == h.len || h.len - plen - 1 >= MAX_VAL) {
            reply_err(fd, &h, "EINVAL");
            break;
        }
        if (fk.deny_prefix[0] &&
            strncmp(p, fk.deny_prefix, strlen(fk.deny_prefix)) == 0) {
            reply_err(fd, &h, "EACCES");
            break;
        }
        fk.writes++;
        memcpy(val, p + plen + 1, h.len - plen - 1);
        val[h.len - plen - 1] = '\0';
        put(h.tx_id ? fk.tx : fk.store, p, val);
        if (h.tx_id)
            snprintf(fk.last_write, sizeof(fk.last_write), "%s", p);
        reply_ok(fd, &h);
        break;
    case XS_RM:
        fk.rms++;
        if (!get(p)) {
            /* Strict: report a missing node (xenstored does so when the
             * parent is missing too). */
            reply_err(fd, &h, "ENOENT");
            break;
        }
        put(h.tx_id ? fk.tx : fk.store, p, "\x01");
        if (!h.tx_id)
            find(fk.store, p)->used = false;
        reply_ok(fd, &h);
        break;
    case XS_READ:
        fk.reads++;
        v = get(p);
        if (!v)
            reply_err(fd, &h, "ENOENT");
        else
            reply(fd, &h, h.type, v, strlen(v));
        break;
    default:
        reply_err(fd, &h, "ENOSYS");
        break;
    }
out:
    pthread_mutex_unlock(&fk.lock);
    return rc;
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(fk.listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_mutex_lock(&fk.lock);
        fk.conns++;
        fk.tx_open = false;
        pthread_mutex_unlock(&fk.lock);
        while (serve_one(fd) == 0)
            ;
        close(fd);
    }
}

static int fake_start(const char *path, pthread_t *thr)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    snprintf(fk.sock_path, sizeof(fk.sock_path), "%s", path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    unlink(path);
    fk.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fk.listen_fd < 0 ||
        bind(fk.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fk.listen_fd, 4) < 0)
        return -1;
    setenv("XENSTORED_PATH", path, 1);
    return pthread_create(thr, NULL, serve, NULL) ? -1 : 0;
}

static void fake_reset(void)
{
    pthread_mutex_lock(&fk.lock);
    memset(fk.store, 0, sizeof(fk.store));
    fk.commits = fk.aborts = fk.tx_starts = fk.writes = fk.rms = fk.reads = 0;
    fk.eagain_ends = 0;
    fk.deny_prefix[0] = '\0';
    fk.drop_next = false;
    fk.last_write[0] = '\0';
    pthread_mutex_unlock(&fk.lock);
}

static const char *stored(const char *path)
{
    static char buf[MAX_VAL];
    struct node *n;

    pthread_mutex_lock(&fk.lock);
    n = find(fk.store, path);
    snprintf(buf, sizeof(buf), "%s", n ? n->val : "(none)");
    pthread_mutex_unlock(&fk.lock);
    return buf;
}

/* ---- --serve mode ------------------------------------------------------- */

static volatile sig_atomic_t serve_stop, serve_wipe;

/* SIGUSR1: every key goes, as a restored domain gets a fresh tree. */
static void on_wipe(int sig)
{
    (void)sig;
    serve_wipe = 1;
}

static void on_term(int sig)
{
    (void)sig;
    serve_stop = 1;
}

static int serve_main(const char *path)
{
    struct sigaction sa = { .sa_handler = on_term };
    pthread_t thr;
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    if (getenv("BD_FAKE_XS_DENY"))
        snprintf(fk.deny_prefix, sizeof(fk.deny_prefix), "%s",
                 getenv("BD_FAKE_XS_DENY"));
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_wipe;
    sigaction(SIGUSR1, &sa, NULL);
    /* blocked in the server thread: only sigsuspend() below takes them */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (fake_start(path, &thr)) {
        perror(path);
        return 1;
    }
    sigemptyset(&set);
    while (!serve_stop) {
        sigsuspend(&set);
        if (serve_wipe) {
            serve_wipe = 0;
            pthread_mutex_lock(&fk.lock);
            for (int i = 0; i < MAX_NODES; i++)
                fk.store[i].used = false;
            pthread_mutex_unlock(&fk.lock);
        }
    }
    pthread_mutex_lock(&fk.lock);
    for (int i = 0; i < MAX_NODES; i++)
        if (fk.store[i].used)
            printf("%s %s\n", fk.store[i].path, fk.store[i].val);
    printf("stat commits %u\nstat aborts %u\nstat writes %u\nstat rms %u\n"
           "stat conns %u\nstat last-write %s\n",
           fk.commits, fk.aborts, fk.writes, fk.rms, fk.conns,
           fk.last_write[0] ? fk.last_write : "-");
    fflush(stdout);
    unlink(path);
    _exit(0); /* the server thread is blocked in read or accept */
}

/* ---- tests -------------------------------------------------------------- */

static struct bd_agent_sample swapping(void)
{
    struct bd_agent_sample s;

    memset(&s, 0, sizeof(s));
    s.mem.total_kib = 1015808;
    s.mem.available_kib = 40960;
    s.mem.swap_total_kib = 1048572;
    s.mem.swap_free_kib = 612000;
    s.has_rates = true;
    s.swapin_rate = 2000;
    s.swapout_rate = 500;
    s.majflt_rate = 3000;
    s.has_psi = true;
    s.psi.has_full = true;
    s.psi.some_x100 = 2345;
    s.psi.full_x100 = 1203;
    return s;
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    return 0;
}

static void test_no_xenstore(void **state)
{
    struct bd_xs x;
    char *old = getenv("XENSTORED_PATH") ? strdup(getenv("XENSTORED_PATH"))
                                         : NULL;
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s = swapping();
    int rc;

    (void)state;
    bd_xs_init(&x);
    setenv("XENSTORED_PATH", "/nonexistent/xenstored-socket", 1);
    rc = bd_xs_connect(&x);
    /* No socket and (in a test machine) no /dev/xen/xenbus. */
    if (access("/dev/xen/xenbus", F_OK) != 0) {
        assert_true(rc < 0);
        assert_false(bd_xs_connected(&x));
        bd_report_keys(&s, 1, kv);
        assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS),
                         -ENOTCONN);
        assert_int_equal(bd_xs_feature_balloon(&x), -ENOTCONN);
    }
    bd_xs_disconnect(&x);
    setenv("XENSTORED_PATH", old, 1);
    free(old);
}

static void test_report_written(void **state)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s = swapping();
    struct bd_xs x;

    (void)state;
    bd_xs_init(&x);
    assert_int_equal(bd_xs_connect(&x), 0);
    bd_report_keys(&s, 5, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_int_equal(x.last_tries, 1);

    assert_string_equal(stored("data/balloon/mem-total"), "1015808");
    assert_string_equal(stored("data/balloon/mem-available"), "40960");
    assert_string_equal(stored("data/balloon/swap-total"), "1048572");
    assert_string_equal(stored("data/balloon/swap-free"), "612000");
    assert_string_equal(stored("data/balloon/swapin-rate"), "2000");
    assert_string_equal(stored("data/balloon/swapout-rate"), "500");
    assert_string_equal(stored("data/balloon/majflt-rate"), "3000");
    assert_string_equal(stored("data/balloon/psi-some"), "2345");
    assert_string_equal(stored("data/balloon/psi-full"), "1203");
    assert_string_equal(stored("data/meminfo_total"), "1015808");
    assert_string_equal(stored("data/meminfo_free"), "40960");
    assert_string_equal(stored("data/balloon/seq"), "5");
    /* One transaction, seq written last in it. */
    assert_int_equal(fk.tx_starts, 1);
    assert_int_equal(fk.commits, 1);
    assert_string_equal(fk.last_write, "data/balloon/seq");

    /* seq reads back for a restarted agent. */
    {
        uint64_t seq = 0;
        assert_int_equal(bd_xs_read_seq(&x, &seq), 0);
        assert_int_equal(seq, 5);
    }
    bd_xs_disconnect(&x);
}

static void test_absent_keys_removed_once(void **state)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s = swapping();
    struct bd_xs x;

    (void)state;
    bd_xs_init(&x);
    assert_int_equal(bd_xs_connect(&x), 0);
    bd_report_keys(&s, 1, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_int_equal(fk.rms, 0);

    /* PSI goes away: both PSI keys removed in the next report. */
    s.has_psi = false;
    bd_report_keys(&s, 2, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_int_equal(fk.rms, 2);
    assert_string_equal(stored("data/balloon/psi-some"), "(none)");
    assert_string_equal(stored("data/balloon/psi-full"), "(none)");
    assert_string_equal(stored("data/balloon/seq"), "2");
    /* ... and not again (missing nodes are ENOENT in this fake: the
     * writer must not depend on removing them every time). */
    bd_report_keys(&s, 3, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_int_equal(fk.rms, 2);
    assert_string_equal(stored("data/balloon/seq"), "3");

    /* After a reconnect the absent keys are removed once more (a stale
     * PSI from an earlier agent must not survive); ENOENT is fine. */
    assert_int_equal(bd_xs_connect(&x), 0);
    bd_report_keys(&s, 4, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_int_equal(fk.rms, 4);
    assert_string_equal(stored("data/balloon/seq"), "4");
    bd_xs_disconnect(&x);
}

static void test_eagain_retried(void **state)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s = swapping();
    struct bd_xs x;

    (void)state;
    bd_xs_init(&x);
    assert_int_equal(bd_xs_connect(&x), 0);
    pthread_mutex_lock(&fk.lock);
    fk.eagain_ends = 2;
    pthread_mutex_unlock(&fk.lock);
    bd_report_keys(&s, 9, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_int_equal(x.last_tries, 3);
    assert_int_equal(fk.tx_starts, 3);
    assert_int_equal(fk.commits, 1);
    assert_string_equal(stored("data/balloon/seq"), "9");

    /* Endless conflicts: give up after BD_XS_MAX_TRIES, store untouched,
     * connection still usable. */
    pthread_mutex_lock(&fk.lock);
    fk.eagain_ends = 1000;
    pthread_mutex_unlock(&fk.lock);
    bd_report_keys(&s, 10, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), -EAGAIN);
    assert_int_equal(x.last_tries, BD_XS_MAX_TRIES);
    assert_string_equal(stored("data/balloon/seq"), "9");
    assert_true(bd_xs_connected(&x));
    pthread_mutex_lock(&fk.lock);
    fk.eagain_ends = 0;
    pthread_mutex_unlock(&fk.lock);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_string_equal(stored("data/balloon/seq"), "10");
    bd_xs_disconnect(&x);
}

static void test_denied_write_aborts(void **state)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s = swapping();
    struct bd_xs x;

    (void)state;
    bd_xs_init(&x);
    assert_int_equal(bd_xs_connect(&x), 0);
    /* The toolstack did not make control/feature-balloon writable. */
    snprintf(fk.deny_prefix, sizeof(fk.deny_prefix), "control/");
    assert_int_equal(bd_xs_feature_balloon(&x), -EACCES);
    fk.deny_prefix[0] = '\0';
    assert_int_equal(bd_xs_feature_balloon(&x), 0);
    assert_string_equal(stored("control/feature-balloon"), "1");

    /* data/ not writable: the report fails as a whole, is aborted, and
     * nothing of it is visible. */
    snprintf(fk.deny_prefix, sizeof(fk.deny_prefix), "data/meminfo_free");
    bd_report_keys(&s, 1, kv);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), -EACCES);
    assert_int_equal(fk.aborts, 1);
    assert_int_equal(fk.commits, 0);
    assert_string_equal(stored("data/balloon/mem-total"), "(none)");
    bd_xs_disconnect(&x);
}

static void test_bad_seq(void **state)
{
    struct bd_xs x;
    uint64_t seq = 77;

    (void)state;
    bd_xs_init(&x);
    assert_int_equal(bd_xs_read_seq(&x, &seq), -ENOTCONN);
    assert_int_equal(bd_xs_connect(&x), 0);
    assert_int_equal(bd_xs_read_seq(&x, &seq), -ENOENT);
    put(fk.store, "data/balloon/seq", "4x1");
    assert_int_equal(bd_xs_read_seq(&x, &seq), -EINVAL);
    put(fk.store, "data/balloon/seq", "-1");
    assert_int_equal(bd_xs_read_seq(&x, &seq), -EINVAL);
    put(fk.store, "data/balloon/seq", "");
    assert_int_equal(bd_xs_read_seq(&x, &seq), -EINVAL);
    assert_int_equal(seq, 77);
    bd_xs_disconnect(&x);
}

static void test_dropped_connection(void **state)
{
    struct bd_report_kv kv[BD_REPORT_NKEYS];
    struct bd_agent_sample s = swapping();
    struct bd_xs x;
    int rc;

    (void)state;
    bd_xs_init(&x);
    assert_int_equal(bd_xs_connect(&x), 0);
    pthread_mutex_lock(&fk.lock);
    fk.drop_next = true;
    pthread_mutex_unlock(&fk.lock);
    bd_report_keys(&s, 1, kv);
    rc = bd_xs_write_report(&x, kv, BD_REPORT_NKEYS);
    assert_true(rc < 0 && rc != -EAGAIN);
    /* What the agent does next: reconnect and write again. */
    assert_int_equal(bd_xs_connect(&x), 0);
    assert_int_equal(bd_xs_write_report(&x, kv, BD_REPORT_NKEYS), 0);
    assert_string_equal(stored("data/balloon/seq"), "1");
    bd_xs_disconnect(&x);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_xenstore),
        cmocka_unit_test_setup(test_report_written, setup),
        cmocka_unit_test_setup(test_absent_keys_removed_once, setup),
        cmocka_unit_test_setup(test_eagain_retried, setup),
        cmocka_unit_test_setup(test_denied_write_aborts, setup),
        cmocka_unit_test_setup(test_bad_seq, setup),
        cmocka_unit_test_setup(test_dropped_connection, setup),
    };
    char path[108];
    pthread_t thr;
    int rc;

    if (argc == 3 && strcmp(argv[1], "--serve") == 0)
        return serve_main(argv[2]);

    signal(SIGPIPE, SIG_IGN);
    snprintf(path, sizeof(path), "/tmp/bd-fake-xs.%d", (int)getpid());
    if (fake_start(path, &thr)) {
        perror(path);
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    return rc;
}
