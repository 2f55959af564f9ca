# SPDX-License-Identifier: GPL-2.0-or-later
# e2e.mk - the real-Xen testbed (tests/e2e/): `make e2e` and `make demo`.
#
# Xen 4.17 and a Debian kernel boot under QEMU (TCG, no KVM); the images are
# built from Debian bookworm packages fetched with apt-get download and
# cached in tests/e2e/cache/.  The project's binaries are built here and
# appended to the dom0 image on every run; a binary whose rule does not
# exist yet makes its scenarios skip, a binary that fails to build fails.
# The systemd dom0's suites (INIT=systemd, tests/e2e/sysd/) install the
# Debian packages instead: `make e2e` builds them (deb-build) when such a
# suite runs and no package newer than every tracked file is there.

E2E_DEB_DEPS = qemu-system-x86 cpio busybox-static file kmod
E2E_BINS = $(BUILDDIR)/daemon/balloond $(BUILDDIR)/cli/balloonctl \
           $(BUILDDIR)/agent/balloon-agent
# One whole run, retries included: the seven suites take about 21 minutes
# with the images cached (1393 s measured; about 25 from an empty cache);
# the rest is for boots
# retried after an emulator triple fault (tests/e2e/run.sh).
E2E_TIMEOUT ?= 2700

E2E_SYSD_SUITES := $(notdir $(shell grep -l '^INIT=systemd' tests/e2e/suites/* 2>/dev/null))

.PHONY: e2e e2e-deps e2e-bins e2e-debs e2e-images demo
e2e-deps:
	@$(MAKE) --no-print-directory deps \
	    EXTRA_DEB_DEPS="$(EXTRA_DEB_DEPS) $(E2E_DEB_DEPS)"

e2e-bins:
	@for b in $(E2E_BINS); do \
	    if $(MAKE) --no-print-directory -n $$b >/dev/null 2>&1; then \
	        $(MAKE) --no-print-directory $$b || exit 1; \
	    else \
	        echo "e2e: no rule for $$b yet: its scenarios will skip"; \
	    fi; \
	done

# With E2E_SUITES unset, run.sh boots its default suites, which include
# the systemd one.
e2e-debs:
	@need=""; for s in $(or $(E2E_SUITES),$(E2E_SYSD_SUITES)); do \
	    case " $(E2E_SYSD_SUITES) " in *" $$s "*) need=1 ;; esac; \
	done; [ -n "$$need" ] || exit 0; \
	deb=$$(ls -t $(DEB_DIR)/balloond_*.deb 2>/dev/null | head -n 1); \
	if [ -z "$$deb" ] || [ -n "$$(git ls-files 2>/dev/null | while read -r f; do \
	        [ "$$f" -nt "$$deb" ] && { echo "$$f"; break; }; done)" ]; then \
	    $(MAKE) --no-print-directory deb-build > $(DEB_DIR).log 2>&1 || \
	        { tail -n 20 $(DEB_DIR).log; exit 1; }; \
	    echo "e2e: built $$(ls $(DEB_DIR)/*.deb | wc -l) packages in $(DEB_DIR)"; \
	fi

e2e-images: e2e-deps
	@sh tests/e2e/images.sh

e2e: e2e-deps e2e-bins e2e-debs
	@BUILDDIR=$(BUILDDIR) timeout -k 10 $(E2E_TIMEOUT) sh tests/e2e/run.sh

# make demo: three guests with changing workloads on the real-Xen testbed;
# make demo HOST=sim: the same story on the simulated host, no QEMU needed.
HOST ?= xen
demo:
ifeq ($(HOST),sim)
	@$(MAKE) --no-print-directory deps $(DEMO_SIM_BIN)
	@BUILDDIR=$(BUILDDIR) sh tests/e2e/demo-sim.sh
else
	@$(MAKE) --no-print-directory e2e-deps e2e-bins
	@BUILDDIR=$(BUILDDIR) sh tests/e2e/run.sh --demo
endif

# What can be checked without QEMU runs in `make check`.
CHECKS += tests/e2e/check-scripts.sh

# `make demo HOST=sim`: the story of dom0/demo.phases on the simulated
# host, in virtual time (tests/e2e/demo_sim.c).  It prints `balloonctl
# show` through the daemon's own handler and balloonctl's own printer.
DEMO_SIM_BIN := $(BUILDDIR)/tests/e2e/demo-sim
DEMO_SIM_OBJS = $(call obj,$(sort tests/e2e/demo_sim.c $(CONTROL_SRCS) \
    cli/client.c cli/format.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)))
$(DEMO_SIM_BIN): $$(DEMO_SIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(YAJL_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) -lm
build-all: $(DEMO_SIM_BIN)
# ...and `make check` runs it and checks its CSV.
CHECKS += tests/test_demo_sim.sh
