/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xs.c - the xenstore side of balloon-agent: one transaction per report.
 *
 * Design: see xs.h.  libxenstore reports errors in errno (xenstored's
 * error names already mapped to errno values by the library); they are
 * returned as -errno.  A transaction that fails inside (before its end) is
 * aborted, so it never lingers in xenstored counting against the guest's
 * transaction quota.
 */
#include "agent/xs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "common/size.h"

static int err_or(int fallback)
{
    return errno > 0 ? -errno : -fallback;
}

void bd_xs_init(struct bd_xs *x)
{
    memset(x, 0, sizeof(*x));
}

int bd_xs_connect(struct bd_xs *x)
{
    bd_xs_disconnect(x);
    errno = 0;
    x->h = xs_open(0);
    if (!x->h)
        return err_or(ENOENT);
    /* Unknown after (re)connecting: remove every absent key once. */
    x->absent_mask = 0;
    return 0;
}

bool bd_xs_connected(const struct bd_xs *x)
{
    return x->h != NULL;
}

void bd_xs_disconnect(struct bd_xs *x)
{
    if (x->h)
        xs_close(x->h);
    x->h = NULL;
}

int bd_xs_read_seq(struct bd_xs *x, uint64_t *seq)
{
    const char *why;
    unsigned int len = 0;
    char *v;
    int rc;

    if (!x->h)
        return -ENOTCONN;
    errno = 0;
    v = xs_read(x->h, XBT_NULL, BD_KEY_SEQ, &len);
    if (!v)
        return err_or(ENOENT);
    /* Our own key, but anything in data/ may have been written by anyone
     * in the guest: parse it strictly. */
    if (strlen(v) != len)
        rc = -EINVAL;
    else
        rc = bd_parse_uint(v, 0, UINT64_MAX, seq, &why);
    free(v);
    return rc ? -EINVAL : 0;
}

/* One attempt.  Returns 0, -EAGAIN (conflict: redo) or -errno. */
static int try_report(struct bd_xs *x, const struct bd_report_kv *kv, size_t n,
                      uint32_t *absent_after)
{
    xs_transaction_t t;
    uint32_t absent = x->absent_mask;
    size_t i;
    int rc;

    errno = 0;
    t = xs_transaction_start(x->h);
    if (t == XBT_NULL)
        return err_or(EIO);
    for (i = 0; i < n; i++) {
        uint32_t bit = UINT32_C(1) << i;

        errno = 0;
        if (kv[i].present) {
            if (!xs_write(x->h, t, kv[i].key, kv[i].value,
                          (unsigned int)strlen(kv[i].value))) {
                rc = err_or(EIO);
                goto abort;
            }
            absent &= ~bit;
        } else if (!(absent & bit)) {
            /* Removing a missing node is not an error in xenstored, but
             * a missing parent is; both mean the key is gone. */
            if (!xs_rm(x->h, t, kv[i].key) && errno != ENOENT) {
                rc = err_or(EIO);
                goto abort;
            }
            absent |= bit;
        }
    }
    errno = 0;
    if (!xs_transaction_end(x->h, t, false))
        return err_or(EIO);
    *absent_after = absent;
    return 0;

abort:
    xs_transaction_end(x->h, t, true);
    return rc;
}

int bd_xs_write_report(struct bd_xs *x, const struct bd_report_kv *kv,
                       size_t n)
{
    uint32_t absent = 0;
    unsigned tries;
    int rc = -EAGAIN;

    if (!x->h)
        return -ENOTCONN;
    if (n > 32)
        return -EINVAL;
    for (tries = 1; tries <= BD_XS_MAX_TRIES; tries++) {
        rc = try_report(x, kv, n, &absent);
        if (rc != -EAGAIN)
            break;
    }
    x->last_tries = tries > BD_XS_MAX_TRIES ? BD_XS_MAX_TRIES : tries;
    if (!rc)
        x->absent_mask = absent;
    return rc;
}

int bd_xs_feature_balloon(struct bd_xs *x)
{
    if (!x->h)
        return -ENOTCONN;
    errno = 0;
    if (!xs_write(x->h, XBT_NULL, BD_KEY_FEATURE_BALLOON, "1", 1))
        return err_or(EIO);
    return 0;
}
