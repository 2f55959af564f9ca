# SPDX-License-Identifier: GPL-2.0-or-later
# deb.mk - the Debian packages (debian/): `make deb` builds balloond and
# balloon-agent with dpkg-buildpackage and holds them to lintian.
#
# dpkg-buildpackage writes its results into the parent of the source tree,
# so `make deb` copies the tree (git's tracked and new, not ignored, files:
# what a clean clone plus your edits holds) to $(DEB_DIR)/balloond-VERSION/
# and builds there: the .debs, .changes and .buildinfo land in $(DEB_DIR),
# $(BUILDDIR)/deb/ by default, and nothing is written outside the tree.
# The copy builds with its own defaults: this make's command-line
# variables (BUILDDIR, SANITIZE, ...) are not passed down.
#
# deb-lint fails on any lintian error or warning (overrides, each with its
# reason, are in debian/*.lintian-overrides) and prints the info tags.

DEB_BUILD_DEPS := debhelper dpkg-dev fakeroot lintian
EXTRA_DEB_DEPS += $(DEB_BUILD_DEPS)

DEB_DIR  := $(abspath $(BUILDDIR))/deb
DEB_SRC  := $(DEB_DIR)/balloond-$(VERSION)
DEB_JOBS ?= 2

# The build tools and libraries only: not the test tools `make deps` adds.
.PHONY: deb deb-deps deb-build deb-lint
deb-deps:
	@$(MAKE) --no-print-directory deps EXTRA_DEB_DEPS="$(DEB_BUILD_DEPS)"

deb: deb-deps
	@$(MAKE) --no-print-directory deb-build
	@$(MAKE) --no-print-directory deb-lint
	@ls -l $(DEB_DIR)/*.deb

deb-build:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z -co --exclude-standard \
	        | tar --null -T - --ignore-failed-read -cf - 2>/dev/null; \
	else \
	    tar --exclude-vcs --exclude='./build*' --exclude=./tests/e2e/cache \
	        --exclude=./tests/e2e/out -cf - .; \
	fi | tar -C $(DEB_SRC) -xf -
	cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILDDIR \
	    -u SANITIZE -u WERROR dpkg-buildpackage -us -uc -b -J$(DEB_JOBS)

deb-lint:
	lintian --info --display-info --fail-on error,warning \
	    $(DEB_DIR)/balloond_$(VERSION)-*.changes

# debian/ against `make install`, the changelog against VERSION, and the
# built packages (if any) against what they must hold.
CHECKS += tests/deb-check.sh
