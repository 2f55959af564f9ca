/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - one line per event on stderr, with sd-daemon priority prefixes,
 * or through a sink (the journal, with fields: journal.c).
 *
 * Design: journald reads stderr; the "<N>" prefix carries the priority
 * (sd-daemon(3)), so balloond needs no syslog code.  The daemon sets
 * bd_log_sink when its stderr is the journal, so that a line about a
 * domain carries DOMAIN=, DOMID= and BALLOOND_EVENT= fields.  A terminal (balloond
 * run by hand) gets the lines without it.  Lines
 * are built in one buffer and written with one write(2) so that they are
 * never interleaved; control characters (a hostile domain name, say) are
 * replaced so one event stays one line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/base/log.h"

int bd_log_level = 6;

/* The prefix unless stderr is a terminal; asked once. */
static bool want_prefix(void)
{
    static int prefix = -1;

    if (prefix < 0)
        prefix = !isatty(STDERR_FILENO);
    return prefix;
}

int (*bd_log_sink)(int prio, const struct bd_log_about *about,
                   const char *line);

static void vlog(int prio, const struct bd_log_about *about, const char *fmt,
                 va_list ap)
{
    char line[1024];
    int saved = errno;
    int n, len;

    if (prio > bd_log_level)
        return;
    n = want_prefix() && !bd_log_sink ? snprintf(line, sizeof(line), "<%d>",
                                                 prio)
                                      : 0;
    len = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (len < 0)
        len = 0;
    len += n;
    if (len > (int)sizeof(line) - 2)
        len = (int)sizeof(line) - 2;
    for (int i = n; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    line[len] = '\0';
    if (bd_log_sink && bd_log_sink(prio, about, line) == 0) {
        errno = saved;
        return;
    }
    if (bd_log_sink) {
        /* the sink failed: this line goes to stderr, with its prefix */
        char out[sizeof(line) + 8];
        int m = snprintf(out, sizeof(out), "<%d>%s\n", prio & 7, line);
        if (write(STDERR_FILENO, out, (size_t)m) < 0) {
            /* Nowhere left to report a failing stderr. */
        }
        errno = saved;
        return;
    }
    line[len++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)len) < 0) {
        /* Nowhere left to report a failing stderr. */
    }
    errno = saved;
}

void bd_log(int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(prio, NULL, fmt, ap);
    va_end(ap);
}

void bd_log_dom(int prio, const struct bd_log_about *about, const char *fmt,
                ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(prio, about, fmt, ap);
    va_end(ap);
}
