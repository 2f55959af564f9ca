# SPDX-License-Identifier: GPL-2.0-or-later
# srcs.mk - every program's source list, in one place, read before the
# other fragments (which link these lists).  The rooms of daemon/ are in
# daemon/README; tests/layering.sh checks that calls and includes go one
# way between them.
#
# daemon/policy/: the pure policy (no I/O, no clock, no globals).
POLICY_SRCS := daemon/policy/policy.c daemon/policy/fill.c \
               daemon/policy/reason.c
DECIDE_SRCS := daemon/policy/decide.c
GUEST_STATS_SRCS := daemon/policy/guest_stats.c
# daemon/config/: balloond.conf and the settings that cannot work.
CONFIG_SRCS := daemon/config/config.c common/size.c $(POLICY_SRCS)
GUARD_SRCS  := daemon/config/guard.c
# daemon/base/: logging, atomic file writes and the one-per-host lock.
BASE_SRCS   := daemon/base/log.c daemon/base/atomic.c daemon/base/lock.c
# The daemon's core: everything the cycle runs, on any host.
DAEMON_CORE_SRCS := $(BASE_SRCS) $(GUEST_STATS_SRCS) $(DECIDE_SRCS) \
                    $(CONFIG_SRCS) $(GUARD_SRCS) daemon/host/host.c \
                    daemon/daemon.c daemon/domains.c daemon/actuate.c \
                    daemon/reserve.c daemon/cycle.c daemon/state.c \
                    daemon/metrics.c
# daemon/control/: the control socket and its handlers.
CONTROL_SRCS := daemon/control/control.c daemon/control/handlers.c \
                common/proto.c
# What balloond adds to the core: the Xen host, the event loop, main.
DAEMON_MAIN_SRCS := daemon/base/journal.c daemon/host/xen.c daemon/host/xlconf.c daemon/host/peers.c daemon/loop.c \
                    $(CONTROL_SRCS) daemon/main.c
DAEMON_SRCS := $(DAEMON_CORE_SRCS) $(DAEMON_MAIN_SRCS) daemon/host/open.c
# sim/: the host/guest model and the simulated host behind the host
# interface; balloond-sim is balloond with sim/open.c instead of
# daemon/host/open.c.
SIM_SRCS := sim/sim.c sim/calibration.c sim/store.c sim/admin.c sim/scenario.c sim/report.c agent/report.c
SIM_HOST_SRCS := sim/host_sim.c $(SIM_SRCS)
BALLOOND_SIM_SRCS := $(DAEMON_CORE_SRCS) $(DAEMON_MAIN_SRCS) \
                     $(SIM_HOST_SRCS) sim/open.c
# The daemon on the simulated host in virtual time (tests, bench, demo).
DAEMON_SIMRUN_SRCS := sim/simrun.c $(SIM_HOST_SRCS)
