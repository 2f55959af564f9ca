/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handlers.h - balloond's answers to the control socket.
 *
 * Design: the ops table control.c calls with validated, typed requests.
 * Its userdata is the struct bd_daemon itself; everything a handler needs
 * from the loop (clock, reload, status) comes through the daemon's hooks,
 * so tests drive the handlers on a fake host without an event loop.
 */
#ifndef BD_HANDLERS_H
#define BD_HANDLERS_H

#include "daemon/control/control.h"

extern const struct bd_ctl_ops bd_handlers;

#endif /* BD_HANDLERS_H */
