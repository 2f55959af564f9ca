# SPDX-License-Identifier: GPL-2.0-or-later
# The control protocol (common/proto.c, shared by balloond and balloonctl)
# and its unit test.  balloond links common/proto.c and daemon/control/control.c
# with $(YAJL_LIBS) $(SYSTEMD_LIBS).
PROTO_SRCS := common/proto.c

TESTS += $(BUILDDIR)/tests/test_proto
$(eval $(call LINK,$(BUILDDIR)/tests/test_proto,$(call obj,tests/test_proto.c common/proto.c common/size.c),$(YAJL_LIBS) $(CMOCKA_LIBS)))

TESTS += $(BUILDDIR)/tests/test_control
# Socket faults: accept4, recv and send wrapped (test_socket_faults).
$(eval $(call LINK,$(BUILDDIR)/tests/test_control,$(call obj,tests/test_control.c daemon/control/control.c common/proto.c common/size.c),-Xlinker --wrap=accept4 -Xlinker --wrap=recv -Xlinker --wrap=send $(YAJL_LIBS) $(SYSTEMD_LIBS) $(CMOCKA_LIBS)))
