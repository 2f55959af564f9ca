/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - balloond's log lines (log.c): to stderr with a <N> priority prefix,
 * which journald reads, or through bd_log_sink (the daemon sets it to the
 * journal, with fields).  Depends on libc only.
 */
#ifndef BD_LOG_H
#define BD_LOG_H

#include <stdarg.h>

extern int bd_log_level;   /* 7 with --verbose, else 6 */
void bd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What a line is about, for the journal's fields (journalctl
 * BALLOOND_EVENT=target DOMAIN=web1): event is one of BD_EV_*, name and
 * domid the domain's (name NULL: none). */
struct bd_log_about {
    const char *event;
    const char *name;
    unsigned domid;
};
#define BD_EV_TARGET "target"       /* a target written */
#define BD_EV_FOUND "found"         /* a domain appeared */
#define BD_EV_GONE "gone"           /* a domain went */
#define BD_EV_EXTERNAL "external"   /* another tool set a target */
#define BD_EV_STUCK "stuck"         /* a domain does not move */
#define BD_EV_REPORT "report"       /* a report ignored or valid again */
#define BD_EV_RENAME "rename"       /* xl rename */
void bd_log_dom(int prio, const struct bd_log_about *about, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));
/* The about argument for event ev of domain name (domid id). */
#define BD_ABOUT(ev, nm, id) (&(const struct bd_log_about){(ev), (nm), (id)})

/* Where lines go instead of stderr when set (daemon/base/journal.c:
 * the journal, with fields); returns 0, or -errno to fall back to stderr
 * for this line.  line has no newline and no control characters. */
extern int (*bd_log_sink)(int prio, const struct bd_log_about *about,
                          const char *line);
#define bd_err(...) bd_log(3, __VA_ARGS__)
#define bd_warn(...) bd_log(4, __VA_ARGS__)
#define bd_notice(...) bd_log(5, __VA_ARGS__)
#define bd_info(...) bd_log(6, __VA_ARGS__)
#define bd_debug(...) bd_log(7, __VA_ARGS__)

#endif /* BD_LOG_H */
