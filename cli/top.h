/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * top.h - `balloonctl top`: a live, refreshing view of status and show.
 */
#ifndef BCTL_TOP_H
#define BCTL_TOP_H

#include <stdint.h>

#include "cli/client.h"

struct bctl_top_opts {
    const char *socket;
    uint64_t delay_ms;   /* between refreshes */
    uint64_t iterations; /* 0: until q or a signal */
    enum bctl_sort sort; /* the table's order; keys change it */
};

/* Returns a BCTL_EXIT_* code. */
int bctl_top(const struct bctl_top_opts *o);

#endif /* BCTL_TOP_H */
