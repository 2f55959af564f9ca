# The pure policy core: the plan (daemon/policy.c), its fill algorithms
# (daemon/fill.c) and the words of its reasons (daemon/reason.c), with their
# unit tests, which link nothing but the policy itself.  Every program that
# plans links $(POLICY_SRCS); the top-level Makefile includes this fragment
# before the others so that they can.
POLICY_SRCS := daemon/policy.c daemon/fill.c daemon/reason.c
POLICY_OBJ := $(call obj,$(POLICY_SRCS))

TESTS += $(BUILDDIR)/tests/test_policy
$(eval $(call LINK,$(BUILDDIR)/tests/test_policy,$(call obj,tests/test_policy.c) $(POLICY_OBJ),$(CMOCKA_LIBS)))

TESTS += $(BUILDDIR)/tests/test_fill
$(eval $(call LINK,$(BUILDDIR)/tests/test_fill,$(call obj,tests/test_fill.c daemon/fill.c),$(CMOCKA_LIBS)))
