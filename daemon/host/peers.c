/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peers.c - other balloon managers on this host (see peers.h).
 *
 * Design: what can be seen from dom0 without asking anyone.  libvirt's
 * libxl driver reads /etc/libvirt/libxl.conf (libvirt's conf syntax,
 * which libxlutil's parser reads too: "key = value", '#' comments) and,
 * like xl, balloons dom0 itself before a start when its autoballoon is on;
 * unset, it is on unless the Xen command line sets dom0_mem
 * (libxlGetAutoballoonConf(), libvirt 9.0).  squeezed and qmemman are
 * daemons: their process names (comm, or the script an interpreter runs)
 * give them away.  Nothing here is an error: an unreadable file or /proc
 * entry is skipped (a process may end while it is read).
 */
#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxlutil.h>

#include "daemon/host/peers.h"
#include "daemon/host/xlconf.h"

int bd_libvirt_autoballoon(const char *path, const char *xen_cmdline,
                           const char **why)
{
    XLU_Config *cfg;
    FILE *devnull;
    long v = -1;

    if (access(path, F_OK) < 0)
        return -ENOENT;
    devnull = fopen("/dev/null", "we");
    cfg = xlu_cfg_init(devnull ? devnull : stderr, path);
    if (cfg && xlu_cfg_readfile(cfg, path) == 0 &&
        xlu_cfg_get_long(cfg, "autoballoon", &v, 0) != 0)
        v = -1;
    if (cfg)
        xlu_cfg_destroy(cfg);
    if (devnull)
        fclose(devnull);
    if (v == 1 || v == 0) {
        *why = v ? "autoballoon = 1 in libvirt's libxl.conf"
                 : "autoballoon = 0 in libvirt's libxl.conf";
        return (int)v;
    }
    if (xen_cmdline && bd_xen_cmdline_sets_dom0_mem(xen_cmdline)) {
        *why = "libvirt's libxl autoballoon is unset and the Xen command "
               "line sets dom0_mem";
        return 0;
    }
    *why = xen_cmdline ? "libvirt's libxl autoballoon is unset (the default: "
                         "on) and the Xen command line does not set dom0_mem"
                       : "libvirt's libxl autoballoon is unset (the default: "
                         "on) and the Xen command line is unknown";
    return 1;
}

/* The basename of the first word of buf, or of the second when the first
 * is an interpreter (python3 /usr/bin/qmemmand). */
static const char *prog_of(const char *buf, size_t n)
{
    const char *w = buf, *base;

    base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
    if ((!strncmp(base, "python", 6) || !strcmp(base, "sh") ||
         !strcmp(base, "bash")) &&
        strlen(w) + 1 < n) {
        w += strlen(w) + 1;
        base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
    }
    return base;
}

static bool is_peer(const char *name)
{
    return !strcmp(name, "squeezed") || !strcmp(name, "qmemmand") ||
           !strcmp(name, "qmemman_daemon.py");
}

/* Reads proc_root/PID/FILE into buf (NUL-terminated); its length, or 0. */
static size_t read_proc(const char *proc_root, const char *pid,
                        const char *file, char *buf, size_t len)
{
    char path[512];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s/%s", proc_root, pid, file);
    f = fopen(path, "re");
    if (!f)
        return 0;
    n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

int bd_peer_running(const char *proc_root, char *what, size_t len)
{
    DIR *dir = opendir(proc_root);
    struct dirent *e;
    char buf[512];
    int found = 0;

    if (!dir)
        return 0;
    while (!found && (e = readdir(dir))) {
        const char *name;
        size_t n;

        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        n = read_proc(proc_root, e->d_name, "cmdline", buf, sizeof(buf));
        name = n ? prog_of(buf, n) : "";
        if (!is_peer(name)) {
            n = read_proc(proc_root, e->d_name, "comm", buf, sizeof(buf));
            buf[strcspn(buf, "\n")] = '\0';
            name = buf;
        }
        if (n && is_peer(name)) {
            snprintf(what, len, "%s (pid %s)", name, e->d_name);
            found = 1;
        }
    }
    closedir(dir);
    return found;
}
