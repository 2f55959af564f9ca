# sim/: the deterministic host/guest model (sim/sim.h).
# The daemon links $(SIM_SRCS) for --host=sim:SCENARIO; the simulator tests
# link it with the real policy.
SIM_SRCS := sim/sim.c sim/scenario.c sim/report.c agent/report.c
SIM_OBJS := $(call obj,$(SIM_SRCS))

.PHONY: sim
sim: $(SIM_OBJS)

# The real policy against the simulator, in `make check`.
TESTS += $(BUILDDIR)/tests/test_sim
$(eval $(call LINK,$(BUILDDIR)/tests/test_sim,$(call obj,tests/test_sim.c daemon/policy.c) $(SIM_OBJS),$(CMOCKA_LIBS)))
