# SPDX-License-Identifier: GPL-2.0-or-later
# agent/: balloon-agent, the guest-side memory reporter (issue 7), its unit
# tests, man page and systemd unit.  The agent links libxenstore and libc
# only; the e2e helper copies $(BUILDDIR)/agent/balloon-agent into the
# guest initramfs.
AGENT_CORE_SRCS := agent/procfs.c agent/report.c agent/sample.c \
                   agent/options.c common/size.c
AGENT_SRCS      := $(AGENT_CORE_SRCS) agent/xs.c agent/main.c

BINS += $(BUILDDIR)/agent/balloon-agent
$(eval $(call LINK,$(BUILDDIR)/agent/balloon-agent,$(call obj,$(AGENT_SRCS)),$(XENSTORE_LIBS)))

.PHONY: agent
agent: $(BUILDDIR)/agent/balloon-agent

TESTS += $(BUILDDIR)/tests/test_agent_procfs $(BUILDDIR)/tests/test_agent_report \
         $(BUILDDIR)/tests/test_agent_options $(BUILDDIR)/tests/test_agent_xs
$(eval $(call LINK,$(BUILDDIR)/tests/test_agent_procfs,$(call obj,tests/test_agent_procfs.c $(AGENT_CORE_SRCS)),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_agent_report,$(call obj,tests/test_agent_report.c $(AGENT_CORE_SRCS)),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_agent_options,$(call obj,tests/test_agent_options.c $(AGENT_CORE_SRCS)),$(CMOCKA_LIBS)))
$(eval $(call LINK,$(BUILDDIR)/tests/test_agent_xs,$(call obj,tests/test_agent_xs.c agent/xs.c $(AGENT_CORE_SRCS)),$(XENSTORE_LIBS) $(CMOCKA_LIBS) -lpthread))

# The agent end to end on recorded /proc files, against the fake xenstored
# in test_agent_xs (signals, --once, backoff).
CHECKS += tests/test_agent.sh

MAN8 += man/balloon-agent.8
