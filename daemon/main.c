/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - balloond's command line and start-up.
 *
 * Design: parse options, load and validate the configuration (or only
 * check it, --check-config), open the host backend, refuse to run beside
 * xl's autoballoon (they would fight) unless --force, restore runtime
 * overrides from the state file, then hand over to the event loop.
 * balloond never forks: systemd (Type=notify) or a terminal supervises
 * it, and --foreground is accepted for scripts that pass it.
 *
 * Exit status: 0 stopped cleanly (or configuration OK), 1 failure (no
 * host, no control socket; --check-config: errors found), 2 usage error,
 * 78 configuration problem at start (invalid file, xl's autoballoon on).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/base/journal.h"
#include "daemon/base/lock.h"
#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "daemon/domains.h"
#include "daemon/host/peers.h"
#include "daemon/host/xlconf.h"
#include "daemon/loop.h"
#include "daemon/state.h"

#define XL_CONF "/etc/xen/xl.conf"
/* sysexits' EX_CONFIG: the unit does not restart on it (a restart cannot
 * fix a configuration). */
#define EXIT_CONFIG 78

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: balloond [--config FILE] [--foreground] "
            "[--host xen|sim:SCENARIO]\n"
            "                [--dry-run] [--force] [--verbose]\n"
            "       balloond --check-config [FILE]\n"
            "       balloond --version | --help\n"
            "\n"
            "  -c, --config FILE     configuration (default %s)\n"
            "  -f, --foreground      accepted for compatibility; balloond "
            "never forks\n"
            "      --host SPEC       xen (default) or sim:SCENARIO, a "
            "simulated host\n"
            "  -n, --dry-run         decide and log, but write no targets\n"
            "      --force           run even though xl's autoballoon is on\n"
            "  -v, --verbose         debug logging\n"
            "      --check-config [FILE]  check the configuration and exit\n"
            "  -V, --version         print the version\n"
            "  -h, --help            this help\n",
            BD_DEFAULT_CONFIG);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --check-config: what the file tells (guard.h) and, when the host can
 * be opened (root in dom0, or a simulated one), what this host and its
 * domains tell (their minimums and the reserve against its memory), as
 * "FILE:LINE: warning: ..." lines; a fatal one fails the check. */
static int check_warnings(struct bd_config *cfg, const char *path,
                          const char *host_spec)
{
    struct bd_warnings w = {.n = 0};
    struct bd_host *host = NULL;
    struct bd_daemon d;
    bool fatal = false;
    int r;

    /* only what is wrong: not every domain found */
    if (bd_log_level > 4)
        bd_log_level = 4;
    r = bd_host_open(host_spec, mono_ms(), &host);
    if (r == 0 && bd_daemon_init(&d, cfg, host) == 0) {
        if (host->ops->physinfo(host, &d.phys) == 0)
            d.have_phys = true;
        if (bd_domains_scan(&d, mono_ms()) < 0)
            d.have_phys = false; /* no domain list: the file alone */
        bd_daemon_guard(&d, cfg, &w);
        bd_daemon_dispose(&d);
    } else {
        bd_guard_config(cfg, &w);
        fprintf(stderr, "%s: note: the checks against the host's memory "
                "and domains were skipped: cannot open the %s host: %s\n",
                path, host_spec, strerror(r ? -r : ENOMEM));
    }
    bd_host_close(host);
    for (size_t i = 0; i < w.n; i++) {
        char line[16] = "";
        if (w.w[i].line)
            snprintf(line, sizeof(line), "%u:", w.w[i].line);
        printf("%s:%s %s: %s\n", path, line,
               w.w[i].fatal ? "error" : "warning", w.w[i].text);
        fatal |= w.w[i].fatal;
    }
    if (fatal)
        return 1;
    if (w.n)
        printf("configuration OK, with %zu warning%s\n", w.n,
               w.n == 1 ? "" : "s");
    else
        printf("configuration OK\n");
    return 0;
}

/* --check-config: the files read, in order, and every key they set with
 * the value in force and where it was set (the rest are the defaults of
 * balloond.conf(5)). */
static void print_read(const struct bd_config *cfg)
{
    for (size_t i = 0; i < cfg->n_files; i++)
        printf("read %s\n", cfg->files[i]);
    for (size_t i = 0; i < cfg->n_set; i++) {
        const struct bd_config_setting *st = &cfg->set[i];
        printf("  [%s] %s = %s  (%s:%u)\n", st->section, st->key, st->value,
               st->file < cfg->n_files ? cfg->files[st->file] : "?",
               st->line);
    }
    if (!cfg->n_set)
        printf("  no key set: every value is the default\n");
}

/* Other balloon managers (peers.h) fight balloond as xl's autoballoon
 * does: refused the same way, unless --force.  false: do not start. */
static bool peers_allow(bool force, const char *xen_cmdline)
{
    const char *why = "";
    char what[128];
    bool ok = true;

    if (bd_libvirt_autoballoon(LIBVIRT_LIBXL_CONF, xen_cmdline, &why) == 1) {
        if (force)
            bd_warn("libvirt's libxl driver balloons dom0 by itself (%s); "
                    "running anyway (--force)", why);
        else
            bd_err("libvirt's libxl driver would balloon dom0 by itself "
                   "(%s): set autoballoon = 0 in %s, or start with --force",
                   why, LIBVIRT_LIBXL_CONF);
        ok = force;
    }
    if (bd_peer_running("/proc", what, sizeof(what)) == 1) {
        if (force)
            bd_warn("another balloon manager runs: %s; running anyway "
                    "(--force)", what);
        else
            bd_err("another balloon manager runs: %s: stop it, or start "
                   "with --force", what);
        ok = ok && force;
    }
    return ok;
}

/* One balloond per host, before anything is touched: a second one says
 * who runs and exits.  The lock lasts as long as *fd is open. */
static int take_lock(const struct bd_config *cfg, const char *host_spec,
                     int *fd)
{
    char path[4096], holder[256] = "?";
    int rc;

    if (strcmp(host_spec, "xen") == 0)
        snprintf(path, sizeof(path), "%s", BD_HOST_LOCK);
    else if (cfg->state_path && cfg->state_path[0])
        snprintf(path, sizeof(path), "%s%s", cfg->state_path, BD_LOCK_SUFFIX);
    else
        return 0; /* a simulated host without a state file shares nothing */
    rc = bd_lock_take(path, cfg->socket_path, fd, holder, sizeof(holder));
    if (rc == -EBUSY)
        bd_err("another balloond runs on this host (pid and socket: %s; "
               "lock %s): not starting", holder, path);
    else if (rc < 0)
        bd_err("cannot take the lock %s: %s", path, strerror(-rc));
    return rc;
}

/* At start, with the host's memory known: refuse what cannot work. */
static int start_guard(const struct bd_config *cfg, struct bd_host *host)
{
    struct bd_warnings w = {.n = 0};
    struct bd_host_phys ph;
    const struct bd_warning *f = NULL;

    bd_guard_config(cfg, &w);
    if (host->ops->physinfo(host, &ph) == 0)
        bd_guard_host(ph.total_kib, bd_size_resolve(&cfg->reserve,
                                                    ph.total_kib),
                      NULL, 0, &w);
    if (!bd_warnings_fatal(&w, &f))
        return 0;
    bd_err("%s: %s; cannot start", cfg->path ? cfg->path : "config",
           f->text);
    return -EINVAL;
}

/* Load path; print every error.  explicit: a missing file is an error. */
static int load_config(const char *path, bool explicit_path,
                       struct bd_config **out, bool to_stdout)
{
    char *errors = NULL;
    int rc = bd_config_load(path, out, &errors);

    if (rc == -ENOENT && !explicit_path) {
        struct bd_config *c = calloc(1, sizeof(*c));
        free(errors);
        if (!c || bd_config_init(c) < 0) {
            free(c);
            return -ENOMEM;
        }
        c->path = strdup(path);
        bd_info("%s not found; using the defaults", path);
        *out = c;
        return 0;
    }
    if (rc < 0) {
        char *p = errors, *nl;
        while (p && *p) {
            nl = strchr(p, '\n');
            if (nl)
                *nl = '\0';
            if (*p) {
                if (to_stdout)
                    printf("%s\n", p);
                else
                    bd_err("%s", p);
            }
            if (!nl)
                break;
            p = nl + 1;
        }
        if (!errors || !*errors) {
            if (to_stdout)
                printf("%s: %s\n", path, strerror(-rc));
            else
                bd_err("%s: %s", path, strerror(-rc));
        }
    }
    free(errors);
    return rc;
}

int main(int argc, char **argv)
{
    enum { OPT_HOST = 256, OPT_FORCE, OPT_CHECK };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"foreground", no_argument, NULL, 'f'},
        {"host", required_argument, NULL, OPT_HOST},
        {"dry-run", no_argument, NULL, 'n'},
        {"force", no_argument, NULL, OPT_FORCE},
        {"verbose", no_argument, NULL, 'v'},
        {"check-config", optional_argument, NULL, OPT_CHECK},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = BD_DEFAULT_CONFIG;
    const char *host_spec = "xen";
    bool explicit_config = false, dry_run = false, force = false;
    bool check = false;
    struct bd_config *cfg = NULL;
    struct bd_host *host = NULL;
    struct bd_daemon d;
    struct bd_loop loop;
    int c, rc, ret = 1, lock_fd = -1;

    /* under systemd, lines about a domain carry journal fields */
    bd_journal_use();

    while ((c = getopt_long(argc, argv, "c:fnvVh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            explicit_config = true;
            break;
        case 'f':
            break;
        case OPT_HOST:
            host_spec = optarg;
            break;
        case 'n':
            dry_run = true;
            break;
        case OPT_FORCE:
            force = true;
            break;
        case 'v':
            bd_log_level = 7;
            break;
        case OPT_CHECK:
            check = true;
            if (optarg) {
                config_path = optarg;
                explicit_config = true;
            } else if (optind < argc && argv[optind][0] != '-') {
                config_path = argv[optind++];
                explicit_config = true;
            }
            break;
        case 'V':
            printf("balloond %s\n", BD_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "balloond: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (strcmp(host_spec, "xen") != 0 &&
        (strncmp(host_spec, "sim:", 4) != 0 || host_spec[4] == '\0')) {
        fprintf(stderr, "balloond: --host must be xen or sim:SCENARIO\n");
        return 2;
    }

    if (check) {
        rc = load_config(config_path, true, &cfg, true);
        if (rc < 0)
            return 1;
        print_read(cfg);
        rc = check_warnings(cfg, config_path, host_spec);
        bd_config_free(cfg);
        return rc;
    }

    rc = load_config(config_path, explicit_config, &cfg, false);
    if (rc < 0) {
        bd_err("cannot start with an invalid configuration");
        return EXIT_CONFIG;
    }
    if (take_lock(cfg, host_spec, &lock_fd) < 0) {
        bd_config_free(cfg);
        return EXIT_CONFIG;
    }

    /* Block the signals the loop takes through signalfd before any thread
     * exists (libxenstore starts a reader thread at its first watch): a
     * thread with SIGTERM unblocked would be killed by it instead. */
    {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
    }
    rc = bd_host_open(host_spec, mono_ms(), &host);
    if (rc < 0) {
        if (rc == -ENOENT && strncmp(host_spec, "sim:", 4) == 0)
            bd_err("unknown simulator scenario '%s'", host_spec + 4);
        else if (rc == -EPROTONOSUPPORT)
            bd_err("--host %s: this balloond has no simulated host; "
                   "balloond-sim (make sim) is the same daemon with it",
                   host_spec);
        else
            bd_err("cannot open the %s host: %s", host_spec, strerror(-rc));
        goto out;
    }
    if (strcmp(host_spec, "xen") == 0) {
        char cmdline[1024];
        const char *why = "";
        bool have = host->ops->xen_cmdline(host, cmdline,
                                           sizeof(cmdline)) == 0;
        if (bd_xl_autoballoon(XL_CONF, have ? cmdline : NULL, &why) == 1) {
            if (!force) {
                bd_err("xl would balloon dom0 by itself (%s): set "
                       "autoballoon=\"off\" in %s, or start with --force",
                       why, XL_CONF);
                ret = EXIT_CONFIG;
                goto out;
            }
            bd_warn("xl's autoballoon is on (%s); running anyway (--force)",
                    why);
        } else
            bd_debug("%s", why);
        if (!peers_allow(force, have ? cmdline : NULL)) {
            ret = EXIT_CONFIG;
            goto out;
        }
    }

    if (start_guard(cfg, host) < 0) {
        ret = EXIT_CONFIG;
        goto out;
    }
    bd_daemon_init(&d, cfg, host);
    d.dry_run = dry_run;
    d.verbose = bd_log_level >= 7;
    d.cfg_path = config_path;
    bd_state_load(&d, cfg->state_path, mono_ms());

    rc = bd_loop_init(&loop, &d, host_spec);
    if (rc < 0) {
        bd_err("cannot start: %s", strerror(-rc));
        bd_loop_dispose(&loop);
        cfg = d.cfg;
        bd_daemon_dispose(&d);
        goto out;
    }
    bd_info("balloond %s started (host %s%s)", BD_VERSION, host_spec,
            dry_run ? ", dry-run" : "");
    ret = bd_loop_run(&loop);
    bd_loop_dispose(&loop);
    cfg = d.cfg;
    bd_daemon_dispose(&d);
    bd_info("balloond stopped");
out:
    bd_host_close(host);
    bd_config_free(cfg);
    if (lock_fd >= 0)
        close(lock_fd);
    return ret;
}
