/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.h - numbers for Prometheus and the status line (metrics.c).
 */
#ifndef BD_METRICS_H
#define BD_METRICS_H

#include "daemon/daemon.h"

/* Prometheus text (format 0.0.4), malloc'ed; NULL on ENOMEM. */
char *bd_metrics_render(const struct bd_daemon *d);
int bd_metrics_write_file(const struct bd_daemon *d, const char *path);
/* One-line summary for STATUS= and `balloonctl status`. */
void bd_status_line(const struct bd_daemon *d, char *buf, size_t len);

#endif /* BD_METRICS_H */
