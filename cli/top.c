/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * top.c - `balloonctl top`, in the spirit of xentop.
 *
 * Design: every refresh is two ordinary requests (status, show) on fresh
 * connections, rendered into one memory buffer and written at once after
 * an ANSI "home + clear" so the screen does not flicker; no curses.  On a
 * terminal, stdin is put in non-canonical mode so a single 'q' quits, and
 * the terminal is always restored (normal exit, q, SIGINT/SIGTERM/SIGHUP).
 * When stdout is not a terminal (a pipe, a log), frames are printed one
 * after the other without escape codes, like `top -b`.  On a terminal
 * the table is cut to the window, rows and columns, and a key picks the
 * order (i id, n name, c current, t target, u used, s state).  If balloond goes
 * away while top runs, the view says so and keeps trying: restarting the
 * daemon does not end the watch.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/top.h"
#include "common/proto.h"
#include "common/size.h"

static volatile sig_atomic_t stop;
static struct termios saved_tio;
static bool tio_saved;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void restore_tty(void)
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
        tio_saved = false;
    }
}

static void setup_tty(void)
{
    struct termios t;

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return;
    t = saved_tio;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
        tio_saved = true;
        atexit(restore_tty);
    }
}

static void setup_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    /* no SA_RESTART: poll() must return at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int fetch(const struct bctl_top_opts *o, enum bd_ctl_cmd cmd,
                 yajl_val *reply, char *err, size_t errlen)
{
    yajl_gen g = bd_proto_request_begin(cmd);
    int rc;

    if (!g) {
        snprintf(err, errlen, "out of memory");
        return BCTL_EXIT_FAILED;
    }
    rc = bctl_call(o->socket, g, BCTL_REPLY_TIMEOUT_MS, reply, err, errlen);
    yajl_gen_free(g);
    if (rc == BCTL_EXIT_FAILED) {
        const char *e = bctl_get_str(*reply, "error");
        snprintf(err, errlen, "%s", e ? e : "failed");
    }
    return rc;
}

static unsigned term_rows(void)
{
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    return 24;
}

/* Render one frame.  Returns the exit code of the fetch. */
static int frame(const struct bctl_top_opts *o, enum bctl_sort sort,
                 bool tty, FILE *f, char *err, size_t errlen)
{
    yajl_val st = NULL, sh = NULL;
    char clock[16];
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    localtime_r(&now, &tm);
    strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
    if (tty)
        fputs("\033[H\033[2J", f);
    fprintf(f, "balloonctl top - %s - every %.1fs - by %s%s\n", clock,
            (double)o->delay_ms / 1000, bctl_sort_name(sort),
            tty ? " - q quits, i/n/c/t/u/s sort" : "");
    err[0] = '\0';
    rc = fetch(o, BD_CTL_STATUS, &st, err, errlen);
    if (rc == BCTL_EXIT_OK)
        rc = fetch(o, BD_CTL_SHOW, &sh, err, errlen);
    if (rc == BCTL_EXIT_OK) {
        unsigned rows = tty ? term_rows() : 0;
        struct bctl_table_opts t = {.sort = sort};

        /* cut to the window; every column when it is wide enough */
        t.width = tty ? bctl_term_cols(STDOUT_FILENO) : 0;
        t.wide = t.width >= BCTL_WIDE_COLS;
        /* status takes ~8 lines, the title 1, the table header 1 */
        t.max_rows = rows ? (rows > 14 ? rows - 12 : 2) : 0;
        bctl_print_status(f, st);
        fputc('\n', f);
        bctl_print_domains(f, bctl_get(sh, "domains"), &t);
    } else {
        char clean[512];
        fprintf(f, "\n%s\n", bctl_clean(err, clean, sizeof(clean)));
    }
    yajl_tree_free(st);
    yajl_tree_free(sh);
    return rc;
}

/* The order a key asks for; false for other keys. */
static bool sort_key(char c, enum bctl_sort *sort)
{
    static const char keys[] = "inctus"; /* in enum bctl_sort order */
    const char *k = c ? strchr(keys, c) : NULL;

    if (!k)
        return false;
    *sort = (enum bctl_sort)(k - keys);
    return true;
}

/* Wait delay_ms for a key; true when the user asked to quit.  A sort key
 * changes *sort and ends the wait (the view is redrawn at once). */
static bool wait_key(uint64_t delay_ms, enum bctl_sort *sort)
{
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    struct timespec end, now;
    int left;

    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += (time_t)(delay_ms / 1000);
    end.tv_nsec += (long)(delay_ms % 1000) * 1000000;
    if (end.tv_nsec >= 1000000000) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000;
    }
    for (;;) {
        char c;
        int r;

        if (stop)
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left = (int)((end.tv_sec - now.tv_sec) * 1000 +
                     (end.tv_nsec - now.tv_nsec) / 1000000);
        if (left <= 0)
            return false;
        r = poll(&pfd, tio_saved ? 1 : 0, left);
        if (r <= 0)
            continue;
        if (read(STDIN_FILENO, &c, 1) == 1) {
            if (c == 'q' || c == 'Q' || c == 4 /* ^D */)
                return true;
            if (c == ' ' || sort_key(c, sort))
                return false; /* refresh now */
        }
    }
}

int bctl_top(const struct bctl_top_opts *o)
{
    bool tty = isatty(STDOUT_FILENO);
    enum bctl_sort sort = o->sort;
    uint64_t n = 0;
    int rc = BCTL_EXIT_OK;

    setup_signals();
    setup_tty();
    while (!stop) {
        char *buf = NULL, err[512];
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f) {
            bctl_err("top: out of memory");
            rc = BCTL_EXIT_FAILED;
            break;
        }
        rc = frame(o, sort, tty, f, err, sizeof(err));
        fclose(f);
        if (n == 0 && rc != BCTL_EXIT_OK) {
            /* Not even one answer: fail the usual way. */
            free(buf);
            restore_tty();
            bctl_err("top: %s", err);
            return rc;
        }
        fwrite(buf, 1, len, stdout);
        if (!tty)
            fputc('\n', stdout);
        fflush(stdout);
        free(buf);
        n++;
        if (o->iterations && n >= o->iterations)
            break;
        if (wait_key(o->delay_ms, &sort)) {
            /* Quitting is success, whatever the last frame showed. */
            rc = BCTL_EXIT_OK;
            break;
        }
    }
    restore_tty();
    if (stop)
        rc = BCTL_EXIT_OK;
    return rc;
}
