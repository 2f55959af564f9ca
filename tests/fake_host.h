/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_host.h - an in-memory host for the daemon's unit tests.
 *
 * Design: implements struct bd_host_ops over a few arrays so that tests
 * can set up any situation (tight memory, a domain that vanishes between
 * plan and write, a toolstack that refuses a target, someone else writing
 * memory/target) and read back exactly which targets were written, in
 * which order.
 */
#ifndef BD_FAKE_HOST_H
#define BD_FAKE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/host/host.h"

#define FAKE_MAX_DOMS 16
#define FAKE_MAX_KEYS 24
#define FAKE_MAX_WRITES 256
#define FAKE_MAX_EVENTS 256

struct fake_key {
    char rel[64];
    char val[1200];
    size_t len;
};

struct fake_dom {
    uint32_t domid;
    char name[64];
    uint64_t current_kib;
    bool exists;
    bool vanish_before_write; /* disappears when its target is re-read */
    int set_err;              /* set_target fails with this (-errno) */
    struct fake_key keys[FAKE_MAX_KEYS];
    size_t n_keys;
};

struct fake_write {
    uint32_t domid;
    uint64_t kib;
};

struct fake_host {
    struct bd_host h;
    struct fake_dom doms[FAKE_MAX_DOMS];
    size_t n_doms;
    struct bd_host_phys phys;
    bool writes_take_effect;  /* set_target moves current at once */
    struct fake_write writes[FAKE_MAX_WRITES];
    size_t n_writes;
    size_t n_reads;           /* keys read (read_key, or in read_keys) */
    size_t n_snapshots;       /* read_keys calls (transactions) */
    uint64_t gen;             /* bumped by every key change */
    /* Called after each key read: a writer that gets in between two
     * reads.  Inside read_keys a change it makes redoes the snapshot, as
     * xenstored's EAGAIN does. */
    void (*mid_read)(struct fake_host *fh, uint32_t domid, const char *rel);
    void *mid_read_ud;
    size_t n_physinfo;
    char watches[FAKE_MAX_DOMS * 8][64]; /* paths watched now */
    size_t n_watches;
    struct bd_host_event events[FAKE_MAX_EVENTS];
    size_t n_events;
};

struct fake_host *fake_host_new(uint64_t total_kib, uint64_t free_kib);
void fake_host_free(struct fake_host *fh);
/* A domain with memory/target = current, memory/static-max = smax. */
struct fake_dom *fake_add(struct fake_host *fh, uint32_t domid,
                          const char *name, uint64_t current_kib,
                          uint64_t smax_kib);
struct fake_dom *fake_dom(struct fake_host *fh, uint32_t domid);
void fake_set_key(struct fake_host *fh, uint32_t domid, const char *rel,
                  const char *val);
void fake_set_num(struct fake_host *fh, uint32_t domid, const char *rel,
                  uint64_t v);
uint64_t fake_get_num(struct fake_host *fh, uint32_t domid, const char *rel);
/* Rename a domain: its name key changes, and an event is queued when
 * somebody watches that key, as xenstored would. */
void fake_rename(struct fake_host *fh, uint32_t domid, const char *name);
/* Queue a watch event (full path). */
void fake_event(struct fake_host *fh, const char *path);
/* Agent-style report: total and available, seq. */
void fake_report(struct fake_host *fh, uint32_t domid, uint64_t total,
                 uint64_t avail, uint64_t seq);

#endif
