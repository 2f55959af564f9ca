# SPDX-License-Identifier: GPL-2.0-or-later
# daemon/config/config.c: balloond.conf parsing, its tests and man page.
CONFIG_OBJ := $(call obj,$(CONFIG_SRCS))

TESTS += $(BUILDDIR)/tests/test_config
$(eval $(call LINK,$(BUILDDIR)/tests/test_config,$(call obj,tests/test_config.c) $(CONFIG_OBJ),$(INIH_LIBS) $(CMOCKA_LIBS)))

MAN5 += man/balloond.conf.5
