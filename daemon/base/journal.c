/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * journal.c - balloond's lines as journal entries with fields (journal.h).
 *
 * Design: under systemd, stderr is already the journal (the unit's
 * default), so priorities were all a "<N>" prefix could carry.  The same
 * lines, sent with sd_journal_send(), also carry what an admin filters
 * on: DOMAIN= and DOMID= for a line about a domain, BALLOOND_EVENT= for
 * its kind, and MESSAGE_ID= for the main events (a catalog,
 * systemd/balloond.catalog, explains them in journalctl -x).  Only when
 * JOURNAL_STREAM names our stderr (systemd.exec(5)): by hand or under
 * another supervisor, stderr lines stay.  A failed send falls back to
 * stderr for that line (log.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "daemon/base/journal.h"
#include "daemon/base/log.h"

/* The catalog's entries (systemd/balloond.catalog). */
static const struct {
    const char *event;
    const char *id;
} message_ids[] = {
    {BD_EV_TARGET, "0e1e77ec99e84e81ad492af2e5fe3f00"},
    {BD_EV_EXTERNAL, "165cc73f334f4ccda4ab66114e6bda0f"},
    {BD_EV_STUCK, "b38932930da940e8a01c02db41b77890"},
    {BD_EV_REPORT, "2852ddeecaba46a2a473b39bcf7d7e39"},
};

static const char *message_id(const char *event)
{
    for (size_t i = 0; event && i < sizeof(message_ids) / sizeof(*message_ids);
         i++)
        if (!strcmp(message_ids[i].event, event))
            return message_ids[i].id;
    return NULL;
}

static int send_line(int prio, const struct bd_log_about *about,
                     const char *line)
{
    const char *id = about ? message_id(about->event) : NULL;
    int r;

    if (!about || !about->name)
        r = sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", prio,
                            "SYSLOG_IDENTIFIER=balloond", NULL);
    else if (id)
        r = sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", prio,
                            "SYSLOG_IDENTIFIER=balloond", "DOMAIN=%s",
                            about->name, "DOMID=%u", about->domid,
                            "BALLOOND_EVENT=%s", about->event,
                            "MESSAGE_ID=%s", id, NULL);
    else
        r = sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", prio,
                            "SYSLOG_IDENTIFIER=balloond", "DOMAIN=%s",
                            about->name, "DOMID=%u", about->domid,
                            "BALLOOND_EVENT=%s",
                            about->event ? about->event : "other", NULL);
    return r < 0 ? r : 0;
}

int bd_journal_use(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
        fstat(STDERR_FILENO, &st) < 0 || (unsigned long long)st.st_dev != dev ||
        (unsigned long long)st.st_ino != ino)
        return 0;
    bd_log_sink = send_line;
    return 1;
}
