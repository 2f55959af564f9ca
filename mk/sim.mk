# SPDX-License-Identifier: GPL-2.0-or-later
# sim/: the deterministic host/guest model (sim/sim.h), the simulated host
# behind the host interface (sim/host_sim.c), the daemon in virtual time
# (sim/simrun.c) and balloond-sim: balloond with the simulated host
# (--host sim:SCENARIO), for the shell tests, the demo and trying balloond
# without Xen.  It is built, never installed.
SIM_OBJS := $(call obj,$(SIM_SRCS))
BALLOOND_SIM := $(BUILDDIR)/sim/balloond-sim
$(eval $(call LINK,$(BALLOOND_SIM),$(call obj,$(BALLOOND_SIM_SRCS)),$(DAEMON_LIBS)))
build-all: $(BALLOOND_SIM)

.PHONY: sim
sim: $(SIM_OBJS) $(BALLOOND_SIM)

# The real daemon (one cycle, simrun) against the simulator, in `make check`.
TESTS += $(BUILDDIR)/tests/test_sim
$(eval $(call LINK,$(BUILDDIR)/tests/test_sim,$(call obj,tests/test_sim.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))

# The policy's properties over time (what needs balloons to move), on the
# sim host through the daemon's one cycle.
TESTS += $(BUILDDIR)/tests/test_policy_sim
$(eval $(call LINK,$(BUILDDIR)/tests/test_policy_sim,$(call obj,tests/test_policy_sim.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))

# bench/calibration.csv (tests/e2e/calibrate.sh, `make calibrate`) is the
# one home of the sim's testbed numbers: its table is generated, and a bad
# row fails the build.
CAL_CSV := bench/calibration.csv
CAL_GEN := $(BUILDDIR)/gen/calibration_data.h
$(CAL_GEN): $(CAL_CSV) bench/calgen.awk
	@mkdir -p $(dir $@)
	awk -f bench/calgen.awk $(CAL_CSV) > $@.tmp && mv $@.tmp $@
$(call obj,sim/calibration.c): $(CAL_GEN)
$(call obj,sim/calibration.c): CPPFLAGS += -I$(BUILDDIR)/gen

# The sim's numbers match the calibration file (issue 21: within 5 % at
# every measured size).
TESTS += $(BUILDDIR)/tests/test_calibration
$(eval $(call LINK,$(BUILDDIR)/tests/test_calibration,$(call obj,tests/test_calibration.c $(SIM_SRCS)),$(CMOCKA_LIBS) -lm))

.PHONY: calibrate
# Boots the testbed (as make e2e does) and rewrites bench/calibration.csv.
calibrate: e2e-deps e2e-bins
	BUILDDIR=$(BUILDDIR) tests/e2e/calibrate.sh
