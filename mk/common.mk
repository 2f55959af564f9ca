# SPDX-License-Identifier: GPL-2.0-or-later
# common/: code shared by balloond, balloonctl and balloon-agent, and the
# lead's unit tests of it (sizes, durations).
COMMON_SIZE_OBJ := $(call obj,common/size.c)

TESTS += $(BUILDDIR)/tests/test_size
$(eval $(call LINK,$(BUILDDIR)/tests/test_size,$(call obj,tests/test_size.c) $(COMMON_SIZE_OBJ),$(CMOCKA_LIBS)))

# `make install` into a temporary DESTDIR, checked file by file.
CHECKS += tests/install-test.sh
