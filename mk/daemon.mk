# daemon/: balloond itself (issue 4): event loop, host backends (Xen and
# simulated), guest report parsing, actuation, persistence; its unit tests,
# the smoke test on the simulated host, the man page and the systemd unit.
# The e2e testbed takes the binary from $(BUILDDIR)/daemon/balloond.
# sim.mk is included after this file, so its SIM_SRCS is not set yet here.
DAEMON_SIM_SRCS := sim/sim.c sim/scenario.c sim/report.c agent/report.c
DAEMON_CORE_SRCS := daemon/log.c daemon/guest_stats.c daemon/domains.c \
                    daemon/actuate.c daemon/decide.c daemon/reserve.c \
                    daemon/cycle.c daemon/state.c daemon/atomic.c daemon/metrics.c \
                    daemon/config.c daemon/guard.c $(POLICY_SRCS) common/size.c
# The daemon on the simulated host in virtual time (tests, bench, demo).
DAEMON_SIMRUN_SRCS := daemon/simrun.c daemon/host_sim.c $(DAEMON_SIM_SRCS)
DAEMON_SRCS := $(DAEMON_CORE_SRCS) daemon/xlconf.c daemon/host.c \
               daemon/host_xen.c $(DAEMON_SIMRUN_SRCS) \
               daemon/loop.c daemon/handlers.c daemon/control.c \
               common/proto.c daemon/main.c
XLUTIL_LIBS := $(call pc_libs,xlutil)
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
         $(BUILDDIR)/tests/test_guests
$(eval $(call LINK,$(BUILDDIR)/tests/test_guard,$(call obj,tests/test_guard.c daemon/guard.c daemon/config.c common/size.c $(POLICY_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_decide,$(call obj,tests/test_decide.c daemon/decide.c $(POLICY_SRCS)),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_handlers,$(call obj,tests/test_handlers.c tests/fake_host.c daemon/handlers.c daemon/control.c common/proto.c $(DAEMON_CORE_SRCS)),$(YAJL_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_guest_stats,$(call obj,tests/test_guest_stats.c daemon/guest_stats.c),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_actuate,$(call obj,tests/test_actuate.c tests/fake_host.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_state,$(call obj,tests/test_state.c tests/fake_host.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_guests,$(call obj,tests/test_guests.c tests/fake_host.c $(DAEMON_CORE_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_daemon_metrics,$(call obj,tests/test_daemon_metrics.c tests/fake_host.c $(DAEMON_CORE_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
$(eval $(call LINK,$(BUILDDIR)/tests/test_daemon_xlconf,$(call obj,tests/test_daemon_xlconf.c daemon/xlconf.c daemon/log.c),$(XLUTIL_LIBS) $(CMOCKA_LIBS)))

# The real balloond on the simulated host: starts, plans, stops on SIGTERM.
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
promcheck: $(BUILDDIR)/daemon/balloond $(BUILDDIR)/cli/balloonctl
	@BUILDDIR=$(BUILDDIR) sh tests/promcheck.sh

MAN8 += man/balloond.8
