/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * journal.h - balloond's lines as journal entries with fields
 * (journal.c): what journalctl -u balloond DOMAIN=web1 filters on.
 */
#ifndef BD_JOURNAL_H
#define BD_JOURNAL_H

/* When stderr is the journal's stream (JOURNAL_STREAM names it), route
 * log lines to sd_journal_send() with MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER=balloond, and for a domain DOMAIN, DOMID,
 * BALLOOND_EVENT and, for the main events, MESSAGE_ID (their catalog:
 * systemd/balloond.catalog).  Otherwise nothing changes: stderr lines.
 * Returns 1 when the journal is used, 0 if not. */
int bd_journal_use(void);

#endif /* BD_JOURNAL_H */
