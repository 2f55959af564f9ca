/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - one line per event on stderr, with sd-daemon priority prefixes.
 *
 * Design: journald reads stderr; the "<N>" prefix carries the priority
 * (sd-daemon(3)), so balloond needs no syslog code.  A terminal (balloond
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

void bd_log(int prio, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int saved = errno;
    int n, len;

    if (prio > bd_log_level)
        return;
    n = want_prefix() ? snprintf(line, sizeof(line), "<%d>", prio) : 0;
    va_start(ap, fmt);
    len = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (len < 0)
        len = 0;
    len += n;
    if (len > (int)sizeof(line) - 2)
        len = (int)sizeof(line) - 2;
    for (int i = n; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    line[len++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)len) < 0) {
        /* Nowhere left to report a failing stderr. */
    }
    errno = saved;
}
