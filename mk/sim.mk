# sim/: the deterministic host/guest model (sim/sim.h).
# The daemon links $(SIM_SRCS) for --host=sim:SCENARIO; the simulator tests
# link it with the real policy.
SIM_SRCS := sim/sim.c sim/scenario.c sim/report.c agent/report.c
SIM_OBJS := $(call obj,$(SIM_SRCS))

.PHONY: sim
sim: $(SIM_OBJS)

# The real daemon (one cycle, simrun) against the simulator, in `make check`.
TESTS += $(BUILDDIR)/tests/test_sim
$(eval $(call LINK,$(BUILDDIR)/tests/test_sim,$(call obj,tests/test_sim.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))

# The policy's properties over time (what needs balloons to move), on the
# sim host through the daemon's one cycle.
TESTS += $(BUILDDIR)/tests/test_policy_sim
$(eval $(call LINK,$(BUILDDIR)/tests/test_policy_sim,$(call obj,tests/test_policy_sim.c $(DAEMON_CORE_SRCS) $(DAEMON_SIMRUN_SRCS)),$(INIH_LIBS) $(CMOCKA_LIBS) -lm))
