/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xs.h - balloon-agent's xenstore writer.
 *
 * Design: one libxenstore handle, opened with xs_open(0) (in a guest that
 * is /dev/xen/xenbus; XENSTORED_PATH points it at a socket, which the
 * tests use).  All keys are relative, so the guest's own
 * /local/domain/N is implied and the agent never needs its domid.  A
 * report is one transaction, redone on EAGAIN, so balloond never sees half
 * of one; seq is written last and is what balloond watches.  The handle is
 * never used for watches, so libxenstore starts no thread.
 */
#ifndef BD_AGENT_XS_H
#define BD_AGENT_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/report.h"

#define BD_XS_MAX_TRIES 8 /* transaction attempts per report */

struct xs_handle;

struct bd_xs {
    struct xs_handle *h;
    /* Optional keys (by index in the kv list) known to be absent in the
     * store, so each is removed once when it disappears, not every time. */
    uint32_t absent_mask;
    unsigned last_tries; /* attempts the last report needed */
};

void bd_xs_init(struct bd_xs *x);

/* Open the connection.  Returns 0 or -errno (-ENOENT: no xenbus device and
 * no xenstored socket). */
int bd_xs_connect(struct bd_xs *x);

bool bd_xs_connected(const struct bd_xs *x);

/* Close the connection (safe when closed). */
void bd_xs_disconnect(struct bd_xs *x);

/*
 * Read data/balloon/seq as left by an earlier agent, so a restarted agent
 * continues the sequence.  Returns 0 with *seq set, -ENOENT, or -EINVAL for
 * a value that is not a plain decimal number.
 */
int bd_xs_read_seq(struct bd_xs *x, uint64_t *seq);

/*
 * Write one report in one transaction: present keys are written, absent
 * ones removed.  Returns 0; -EAGAIN when BD_XS_MAX_TRIES transactions all
 * conflicted (the connection is fine: try again at the next sample); any
 * other -errno means the caller should disconnect and reconnect later.
 */
int bd_xs_write_report(struct bd_xs *x, const struct bd_report_kv *kv,
                       size_t n);

/*
 * Write control/feature-balloon = 1.  Returns 0 or -errno; -EACCES is the
 * normal answer under toolstacks that do not make it guest-writable.
 */
int bd_xs_feature_balloon(struct bd_xs *x);

#endif /* BD_AGENT_XS_H */
