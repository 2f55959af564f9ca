/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xlconf.c - would xl autoballoon on this host?
 *
 * Design: xl shrinks dom0 by itself before starting a domain when its
 * autoballoon is on, and that fights any balloon daemon.  The decision is
 * xl's own (tools/xl/xl.c, Xen 4.17), repeated here exactly:
 *   - autoballoon in /etc/xen/xl.conf, read with xl's own parser
 *     (libxlutil): "on" or "1" -> on, "off" or "0" -> off, "auto",
 *     anything else, or no setting at all -> auto;
 *   - auto means on unless the Xen command line sets dom0_mem (matched
 *     with xl's own regular expression).
 * A missing xl.conf is the same as no setting (xl warns and goes on).
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxlutil.h>

#include "daemon/host/xlconf.h"

/* Mirrors xl's auto_autoballoon() (libvirt's libxl driver has the same
 * expression). */
int bd_xen_cmdline_sets_dom0_mem(const char *cmdline)
{
    regex_t re;
    int r;

    if (regcomp(&re, "(^| )dom0_mem=((|min:|max:)[0-9]+[bBkKmMgG]?,?)+($| )",
                REG_NOSUB | REG_EXTENDED) != 0)
        return 0;
    r = regexec(&re, cmdline, 0, NULL, 0);
    regfree(&re);
    return r == 0;
}

int bd_xl_autoballoon(const char *xl_conf_path, const char *xen_cmdline,
                      const char **why)
{
    XLU_Config *cfg = NULL;
    const char *val = NULL;
    int setting = -1; /* -1 auto, 0 off, 1 on */
    FILE *devnull;

    if (xl_conf_path && access(xl_conf_path, R_OK) == 0) {
        devnull = fopen("/dev/null", "we");
        cfg = xlu_cfg_init(devnull ? devnull : stderr, xl_conf_path);
        if (cfg && xlu_cfg_readfile(cfg, xl_conf_path) == 0 &&
            xlu_cfg_get_string(cfg, "autoballoon", &val, 0) == 0) {
            if (!strcmp(val, "on") || !strcmp(val, "1"))
                setting = 1;
            else if (!strcmp(val, "off") || !strcmp(val, "0"))
                setting = 0;
        }
        if (cfg)
            xlu_cfg_destroy(cfg);
        if (devnull)
            fclose(devnull);
    }
    if (setting == 1) {
        *why = "autoballoon is on in xl.conf";
        return 1;
    }
    if (setting == 0) {
        *why = "autoballoon is off in xl.conf";
        return 0;
    }
    if (!xen_cmdline) {
        *why = "autoballoon is auto (the default) and the Xen command line "
               "is unknown";
        return 1;
    }
    if (bd_xen_cmdline_sets_dom0_mem(xen_cmdline)) {
        *why = "autoballoon is auto and the Xen command line sets dom0_mem";
        return 0;
    }
    *why = "autoballoon is auto (the default) and the Xen command line does "
           "not set dom0_mem";
    return 1;
}
