# The pure policy core (daemon/policy.c) and its unit test, which links
# nothing but the policy itself.
POLICY_SRCS := daemon/policy.c
POLICY_OBJ := $(call obj,$(POLICY_SRCS))

TESTS += $(BUILDDIR)/tests/test_policy
$(eval $(call LINK,$(BUILDDIR)/tests/test_policy,$(call obj,tests/test_policy.c) $(POLICY_OBJ),$(CMOCKA_LIBS)))
