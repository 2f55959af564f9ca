/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - balloond's log lines (log.c): to stderr with a <N> priority prefix,
 * which journald reads.  Depends on libc only.
 */
#ifndef BD_LOG_H
#define BD_LOG_H

#include <stdarg.h>

extern int bd_log_level;   /* 7 with --verbose, else 6 */
void bd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define bd_err(...) bd_log(3, __VA_ARGS__)
#define bd_warn(...) bd_log(4, __VA_ARGS__)
#define bd_notice(...) bd_log(5, __VA_ARGS__)
#define bd_info(...) bd_log(6, __VA_ARGS__)
#define bd_debug(...) bd_log(7, __VA_ARGS__)

#endif /* BD_LOG_H */
