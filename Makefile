# SPDX-License-Identifier: GPL-2.0-or-later
# balloond: top-level build.
#
# Design: plain GNU make.  Each area of the tree describes its own programs
# and tests in a fragment under mk/ (mk/daemon.mk, mk/cli.mk, ...), so that
# the top level only holds what is common: flags, pkg-config, the object
# rule, check, install, lint.  Objects go to $(BUILDDIR) (default build/),
# so several builds can share one source tree (BUILDDIR=/tmp/b make).
#
# A fragment appends to these lists:
#   BINS        programs installed into SBINDIR   (paths under $(BUILDDIR))
#   TESTS       unit-test executables run by `make check`
#   CHECKS      shell test scripts run by `make check` after TESTS
#   MAN5 MAN8   man pages
# and writes link rules for its programs with the LINK macro below.

PREFIX          ?= /usr/local
SBINDIR         ?= $(PREFIX)/sbin
BINDIR          ?= $(PREFIX)/bin
MANDIR          ?= $(PREFIX)/share/man
SYSCONFDIR      ?= /etc
SYSTEMDUNITDIR  ?= $(PREFIX)/lib/systemd/system
CATALOGDIR      ?= $(PREFIX)/lib/systemd/catalog
BASHCOMPDIR     ?= $(PREFIX)/share/bash-completion/completions
DESTDIR         ?=

BUILDDIR        ?= build
# The version's one home is the file VERSION: the programs' --version, the
# man pages (.Os, checked by tests/man-check.sh), debian/changelog (checked
# by tests/deb-check.sh) and the release tarball take it from there.
VERSION         := $(shell cat VERSION)

CC              ?= cc
PKG_CONFIG      ?= pkg-config

WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARNINGS) -Werror=implicit-function-declaration \
           -D_GNU_SOURCE -DBD_VERSION='"$(VERSION)"' \
           -DBD_SYSCONFDIR='"$(SYSCONFDIR)"' -I. -MMD -MP
LDFLAGS ?=

# CI builds with WERROR=1: a warning fails the build.
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

XEN_CFLAGS     := $(call pc_cflags,xenlight xenstore)
XEN_LIBS       := $(call pc_libs,xenlight xenstore)
XENSTORE_LIBS  := $(call pc_libs,xenstore)
XLUTIL_LIBS    := $(call pc_libs,xlutil xentoollog)
YAJL_LIBS      := $(call pc_libs,yajl)
SYSTEMD_LIBS   := $(call pc_libs,libsystemd)
INIH_LIBS      := $(call pc_libs,inih)
CMOCKA_LIBS    := $(call pc_libs,cmocka)
CFLAGS += $(XEN_CFLAGS) $(call pc_cflags,yajl libsystemd inih cmocka)

BINS   :=
TESTS  :=
CHECKS :=
MAN5   :=
MAN8   :=

.PHONY: all
all: build-all

# $(call LINK,output,objects,libs)
define LINK
$(1): $(2)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $(3)
endef

obj = $(patsubst %.c,$(BUILDDIR)/%.o,$(1))

$(BUILDDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# srcs.mk first: the others link its source lists.
include mk/srcs.mk
include $(filter-out mk/srcs.mk,$(sort $(wildcard mk/*.mk)))

.PHONY: build-all
build-all: $(BINS) $(TESTS)

# ---- dependencies ---------------------------------------------------------
# Debian bookworm packages needed to build and test.  Idempotent: only the
# missing ones are installed; apt-get update runs only when something is.
DEB_DEPS = build-essential pkg-config libxen-dev libyajl-dev libsystemd-dev \
           libinih-dev libcmocka-dev mandoc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: deps
deps:
	@missing=""; for p in $(DEB_DEPS) $(EXTRA_DEB_DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "deps: installing$$missing"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# ---- tests ----------------------------------------------------------------
.PHONY: check
check: deps
	@$(MAKE) --no-print-directory build-all
	@BUILDDIR=$(BUILDDIR) sh tests/run-tests.sh $(TESTS) $(CHECKS)

# The unit-test executables alone: no shell tests, no `make deps`.  The
# Debian package build runs these (debian/rules).
.PHONY: unit-check
unit-check: $(TESTS)
	@BUILDDIR=$(BUILDDIR) sh tests/run-tests.sh $(TESTS)

# ---- install --------------------------------------------------------------
# Units are written with /usr/sbin paths; install rewrites them to SBINDIR.
# install builds only the programs (not the tests: no cmocka needed).
# The config is installed only where none exists: an admin's edits survive
# every reinstall, and uninstall leaves it in place.  balloond.conf.d/ is
# made empty: the admin's drop-ins, which the package never touches.
UNITS      = $(wildcard systemd/*.service)
COMPLETION = $(wildcard cli/balloonctl.bash)
CONFFILE   = $(DESTDIR)$(SYSCONFDIR)/balloond/balloond.conf
# libvirt runs every executable of hooks/libxl.d before a libxl start.
LIBVIRTHOOK = $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/libxl.d/balloond

.PHONY: install uninstall
install: $(BINS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/balloond $(DESTDIR)$(BASHCOMPDIR) \
	    $(CONFFILE).d $(DESTDIR)$(CATALOGDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(SBINDIR)/
	$(if $(MAN5),install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	$(if $(MAN8),install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)
	for u in $(UNITS); do \
	    sed 's|/usr/sbin/|$(SBINDIR)/|g' $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u) && \
	    chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u) || exit 1; done
	[ -e $(CONFFILE) ] || install -m 0644 conf/balloond.conf $(CONFFILE)
	install -m 0644 systemd/balloond.catalog $(DESTDIR)$(CATALOGDIR)/
	$(if $(COMPLETION),install -m 0644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/balloonctl)
	install -D -m 0755 cli/libvirt-hook.sh $(LIBVIRTHOOK)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/balloonctl $(LIBVIRTHOOK) \
	    $(DESTDIR)$(CATALOGDIR)/balloond.catalog
	@[ ! -e $(CONFFILE) ] || echo "uninstall: kept $(CONFFILE)"

# Every source, script, unit and man page says its license (SPDX line).
CHECKS += tests/license-check.sh

# ---- hygiene --------------------------------------------------------------
SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
.PHONY: format lint clean
format:
	clang-format -i $(SOURCES)
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr --suppress=missingIncludeSystem -I. $(SOURCES)
	mandoc -Tlint -Wwarning $(wildcard man/*.[58])
clean:
	rm -rf $(BUILDDIR)

-include $(shell find $(BUILDDIR) -name '*.d' -type f 2>/dev/null)
