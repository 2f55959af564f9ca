# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fuzz/: a libFuzzer harness per parser (issue 14), see
# tests/fuzz/fuzz.h.
#
#   make fuzz [FUZZ_SECONDS=30] [FUZZ_TARGETS="config state"]
#
# builds every harness with clang -fsanitize=fuzzer,address,undefined into
# $(BUILDDIR)/fuzz/ and runs each for FUZZ_SECONDS from the seed corpus in
# tests/fuzz/corpus/ (copied: the committed corpus only changes by hand);
# any crash, leak, timeout or sanitizer report fails it and leaves the
# input in $(BUILDDIR)/fuzz/artifacts/.  `make check` builds the same
# harnesses with the normal compiler and replays the corpus and
# tests/fuzz/regress/ (inputs that once found a bug) through them.
#
# The source lists come from mk/srcs.mk; link prerequisites are expanded a
# second time, when every fragment has been read.

FUZZ_DEB_DEPS := clang libclang-rt-14-dev
EXTRA_DEB_DEPS += $(FUZZ_DEB_DEPS)

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_ALL     := config request reply size guest_stats state procfs policy
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_DIR     := $(BUILDDIR)/fuzz
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined
FUZZ_CFLAGS   = $(CFLAGS) -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined

# Sources and libraries of each harness, besides tests/fuzz/fuzz_NAME.c.
FUZZ_SRCS_config      = $(CONFIG_SRCS)
FUZZ_LIBS_config      = $(INIH_LIBS)
FUZZ_SRCS_request     = common/proto.c common/size.c
FUZZ_LIBS_request     = $(YAJL_LIBS)
FUZZ_SRCS_reply       = cli/client.c cli/format.c common/proto.c \
                        common/size.c
FUZZ_LIBS_reply       = $(YAJL_LIBS)
FUZZ_SRCS_size        = common/size.c
FUZZ_SRCS_guest_stats = $(GUEST_STATS_SRCS) common/size.c
FUZZ_SRCS_state       = daemon/state.c $(BASE_SRCS) common/size.c \
                        $(POLICY_SRCS)
FUZZ_SRCS_procfs      = agent/procfs.c common/size.c
FUZZ_SRCS_policy      = $(POLICY_SRCS)

fuzz_obj = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

.SECONDEXPANSION:
# libFuzzer builds.
$(FUZZ_DIR)/fuzz_%: $$(call fuzz_obj,tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) $(LDFLAGS) -o $@ $^ $(FUZZ_LIBS_$*)

# Replay builds, for make check.
FUZZ_REPLAYS := $(addprefix $(BUILDDIR)/tests/fuzz/replay_,$(FUZZ_ALL))
$(BUILDDIR)/tests/fuzz/replay_%: $$(call obj,tests/fuzz/replay.c \
                                   tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(FUZZ_LIBS_$*)

build-all: $(FUZZ_REPLAYS)
CHECKS += tests/fuzz/replay.sh

.PHONY: fuzz fuzz-build
fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
fuzz: fuzz-build
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) \
	    sh tests/fuzz/run.sh $(FUZZ_TARGETS)
