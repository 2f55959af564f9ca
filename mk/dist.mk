# SPDX-License-Identifier: GPL-2.0-or-later
# dist.mk - the release tarball: `make dist` writes
# $(BUILDDIR)/balloond-VERSION.tar.gz from the files git tracks, the same
# bytes every time for the same commit (names sorted, every mtime the last
# commit's, owner root, no user names, gzip without a name or time);
# `make distcheck` makes it twice, compares, and builds and runs
# `make check` from the unpacked tarball in an empty directory.
# Outside a git checkout (an unpacked tarball), the files are those of
# the tree and the time is SOURCE_DATE_EPOCH, else VERSION's mtime.

DIST_NAME := balloond-$(VERSION)
DIST      := $(BUILDDIR)/$(DIST_NAME).tar.gz
DIST_EPOCH = $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null),$(shell stat -c %Y VERSION))

.PHONY: dist distcheck
dist:
	@mkdir -p $(BUILDDIR)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files; \
	else \
	    find . -type f ! -path './build*' ! -path './tests/e2e/cache/*' \
	        ! -path './tests/e2e/out/*' | sed 's|^\./||'; \
	fi | LC_ALL=C sort > $(BUILDDIR)/dist.list
	@LC_ALL=C tar --sort=name --mtime=@$(DIST_EPOCH) --owner=0 --group=0 \
	    --numeric-owner --mode='u+rw,go-w,go+r' --format=gnu \
	    --transform 's|^|$(DIST_NAME)/|' -T $(BUILDDIR)/dist.list -cf - \
	    | gzip -9n > $(DIST).tmp
	@mv $(DIST).tmp $(DIST)
	@echo "dist: $(DIST) ($$(wc -l < $(BUILDDIR)/dist.list) files)"

distcheck: dist
	@sh tests/distcheck.sh $(DIST) $(DIST_NAME)
