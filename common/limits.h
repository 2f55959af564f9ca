/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * limits.h - Xen's own limits that balloond relies on: their one home.
 */
#ifndef BD_LIMITS_H
#define BD_LIMITS_H

/* Largest domid Xen hands out to a domain (DOMID_FIRST_RESERVED - 1). */
#define BD_DOMID_MAX 0x7fefu

#endif /* BD_LIMITS_H */
