# SPDX-License-Identifier: GPL-2.0-or-later
# daemon/: balloond itself (its rooms: daemon/README; source lists:
# mk/srcs.mk), its unit tests, the man page and the systemd unit.  The
# installed balloond links no simulator: balloond-sim (mk/sim.mk) is the
# same daemon with the simulated host, for the shell tests and the demo.
# The e2e testbed takes the binary from $(BUILDDIR)/daemon/balloond.
DAEMON_LIBS := $(XEN_LIBS) $(XLUTIL_LIBS) $(YAJL_LIBS) $(SYSTEMD_LIBS) \
               $(INIH_LIBS) -lm

BINS += $(BUILDDIR)/daemon/balloond
$(eval $(call LINK,$(BUILDDIR)/daemon/balloond,$(call obj,$(DAEMON_SRCS)),$(DAEMON_LIBS)))

.PHONY: daemon
daemon: $(BUILDDIR)/daemon/balloond

TESTS += $(BUILDDIR)/tests/test_guest_stats $(BUILDDIR)/tests/test_actuate \
         $(BUILDDIR)/tests/test_state $(BUILDDIR)/tests/test_daemon_xlconf \
         $(BUILDDIR)/tests/test_daemon_metrics $(BUILDDIR)/tests/test_decide \
         $(BUILDDIR)/tests/test_handlers $(BUILDDIR)/tests/test_guard \
         $(BUILDDIR)/tests/test_guests $(BUILDDIR)/tests/test_peers \
         $(BUILDDIR)/tests/test_log $(BUILDDIR)/tests/test_faults
# Faults at every host call and file write (issue 24): the file writes
# through a linker wrap of bd_write_file_atomic().
$(eval $(call LINK,$(BUILDDIR)/tests/test_faults,$(call obj,tests/test_faults.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),-Xlinker --wrap=bd_write_file_atomic $(INIH_LIBS) $(CMOCKA_LIBS) -lm))
# A simulated year of churn through the real cycle (issue 24): `make
# soak`; make check runs 14 days of it.
$(eval $(call LINK,$(BUILDDIR)/tests/soak,$(call obj,tests/soak.c $(CONTROL_SRCS) $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(YAJL_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) -lm))
CHECKS += tests/soak-short.sh
build-all: $(BUILDDIR)/tests/soak
.PHONY: soak
soak: $(BUILDDIR)/tests/soak
	$(BUILDDIR)/tests/soak $${SOAK_DAYS:-365}
$(eval $(call LINK,$(BUILDDIR)/tests/test_log,$(call obj,tests/test_log.c daemon/base/log.c),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_peers,$(call obj,tests/test_peers.c daemon/host/peers.c daemon/host/xlconf.c),$(XLUTIL_LIBS) $(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_guard,$(call obj,tests/test_guard.c $(GUARD_SRCS) $(CONFIG_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_decide,$(call obj,tests/test_decide.c $(DECIDE_SRCS) $(POLICY_SRCS)),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_handlers,$(call obj,tests/test_handlers.c tests/fake_host.c $(CONTROL_SRCS) $(DAEMON_CORE_SRCS)),$(YAJL_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_guest_stats,$(call obj,tests/test_guest_stats.c $(GUEST_STATS_SRCS)),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_actuate,$(call obj,tests/test_actuate.c tests/fake_host.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_state,$(call obj,tests/test_state.c tests/fake_host.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_guests,$(call obj,tests/test_guests.c tests/fake_host.c $(DAEMON_CORE_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_daemon_metrics,$(call obj,tests/test_daemon_metrics.c tests/fake_host.c $(DAEMON_CORE_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_daemon_xlconf,$(call obj,tests/test_daemon_xlconf.c daemon/host/xlconf.c daemon/base/log.c),$(XLUTIL_LIBS) $(CMOCKA_LIBS)))

# The real daemon (balloond-sim) on the simulated host: starts, plans,
# stops on SIGTERM.
CHECKS += tests/test_daemon_sim.sh

# Its metrics through promtool and node_exporter's textfile collector, and
# the shipped alert rules and Grafana dashboard (contrib/).
EXTRA_DEB_DEPS += prometheus prometheus-node-exporter curl
CHECKS += tests/promcheck.sh

# The manual pages: an .Os value, 80 columns, every simulator scenario and
# every balloonctl command described.
EXTRA_DEB_DEPS += bsdextrautils
CHECKS += tests/man-check.sh
.PHONY: promcheck
promcheck: $(BUILDDIR)/sim/balloond-sim $(BUILDDIR)/cli/balloonctl
	@BUILDDIR=$(BUILDDIR) sh tests/promcheck.sh

MAN8 += man/balloond.8

# Calls and includes go one way between the rooms (daemon/README).
CHECKS += tests/layering.sh
