# SPDX-License-Identifier: GPL-2.0-or-later
# cli/: balloonctl, its man page and bash completion.
BALLOONCTL_SRCS := cli/balloonctl.c cli/client.c cli/format.c cli/top.c \
                   cli/xlcfg.c common/proto.c common/size.c

BINS += $(BUILDDIR)/cli/balloonctl
MAN8 += man/balloonctl.8
# xl configs are read with libxlutil, their needs asked of libxenlight.
$(eval $(call LINK,$(BUILDDIR)/cli/balloonctl,$(call obj,$(BALLOONCTL_SRCS)),$(XEN_LIBS) $(XLUTIL_LIBS) $(YAJL_LIBS)))

# Integration tests: the real balloond (--host=sim) and the real balloonctl.
CHECKS += $(sort $(wildcard tests/integration/*.sh))
CTL_RAW := $(BUILDDIR)/tests/integration/ctl-raw
$(eval $(call LINK,$(CTL_RAW),$(call obj,tests/integration/ctl-raw.c),))
build-all: $(CTL_RAW)

# One JSON document on stdin, or not (ctl-json.sh).
JSON_CHECK := $(BUILDDIR)/tests/integration/json-check
$(eval $(call LINK,$(JSON_CHECK),$(call obj,tests/integration/json-check.c),$(YAJL_LIBS)))
build-all: $(JSON_CHECK)

# Reply reading against a hostile peer on the socket path.
TESTS += $(BUILDDIR)/tests/test_client
$(eval $(call LINK,$(BUILDDIR)/tests/test_client,$(call obj,tests/test_client.c cli/client.c common/proto.c common/size.c),$(YAJL_LIBS) $(CMOCKA_LIBS)))

# A hostile local client for the socket attack test (ctl-attack.sh).
CTL_ATTACK := $(BUILDDIR)/tests/integration/ctl-attack
$(eval $(call LINK,$(CTL_ATTACK),$(call obj,tests/integration/ctl-attack.c common/proto.c common/size.c),$(YAJL_LIBS)))
build-all: $(CTL_ATTACK)

# Reading xl configs (the need itself is libxl's: e2e s31).
TESTS += $(BUILDDIR)/tests/test_xlcfg
$(eval $(call LINK,$(BUILDDIR)/tests/test_xlcfg,$(call obj,tests/test_xlcfg.c cli/xlcfg.c),$(XEN_LIBS) $(XLUTIL_LIBS) $(CMOCKA_LIBS)))
