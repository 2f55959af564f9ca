# SPDX-License-Identifier: GPL-2.0-or-later
# The pure policy core (daemon/policy/): the plan, its fill algorithms and
# the words of its reasons, with unit tests that link nothing but the
# policy itself.
POLICY_OBJ := $(call obj,$(POLICY_SRCS))

TESTS += $(BUILDDIR)/tests/test_policy
$(eval $(call LINK,$(BUILDDIR)/tests/test_policy,$(call obj,tests/test_policy.c) $(POLICY_OBJ),$(CMOCKA_LIBS)))

TESTS += $(BUILDDIR)/tests/test_fill
$(eval $(call LINK,$(BUILDDIR)/tests/test_fill,$(call obj,tests/test_fill.c daemon/policy/fill.c),$(CMOCKA_LIBS)))
