# sim/: the deterministic host/guest model (sim/sim.h).
# The daemon links $(SIM_SRCS) for --host=sim:SCENARIO; the simulator tests
# link it with the real policy.
SIM_SRCS := sim/sim.c sim/scenario.c
SIM_OBJS := $(call obj,$(SIM_SRCS))

.PHONY: sim
sim: $(SIM_OBJS)
