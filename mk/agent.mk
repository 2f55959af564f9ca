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

