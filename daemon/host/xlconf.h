/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xlconf.h - what xl.conf says about autoballoon (xlconf.c).
 */
#ifndef BD_XLCONF_H
#define BD_XLCONF_H



/* 1 if the Xen command line sets dom0_mem= (xl's own expression), 0 if
 * not. */
int bd_xen_cmdline_sets_dom0_mem(const char *cmdline);

/* 1 if xl would autoballoon given xl.conf text (NULL = no file) and the
 * Xen command line (NULL = unknown), 0 if not.  *why says why. */
int bd_xl_autoballoon(const char *xl_conf_path, const char *xen_cmdline,
                      const char **why);

#endif /* BD_XLCONF_H */
