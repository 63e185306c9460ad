# Thin wrapper over meson + ninja. `make`, `make check`, `sudo make install` (PREFIX, DESTDIR).
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
ASAN    ?= build-asan
MESON_OPTS ?= -Dwerror=true

.PHONY: all build-asan check check-stress check-unit check-e2e check-asan install clean format \
	format-check demo bundle

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@$(MAKE) --no-print-directory bundle

# The bundled default: a busybox root filesystem assembled from Debian's busybox-static and the
# hardened default config from `hull-runtime spec`, running a short demo script.
DEMO_BUNDLE = $(BUILD)/busybox-bundle
bundle: $(DEMO_BUNDLE)/config.json

$(DEMO_BUNDLE)/config.json: tests/fixtures/make-busybox-rootfs scripts/demo-config
	tests/fixtures/make-busybox-rootfs $(DEMO_BUNDLE)/rootfs
	scripts/demo-config $(BUILD)/hull-runtime $(DEMO_BUNDLE)

demo: all
	$(BUILD)/hull-runtime run --bundle $(DEMO_BUNDLE) hull-demo-$$$$

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS)

# The ASan build boots Debian's guest kernel (the normal build hull's minimal one): `make check`
# runs the VM tests on both, and the kernel is compiled once, not twice (docs/vm.md).
$(ASAN)/build.ninja:
	meson setup $(ASAN) --prefix=$(PREFIX) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug -Dvm_kernel=debian

build-asan: $(ASAN)/build.ninja
	ninja -C $(ASAN)

# Every test: unit + end-to-end on the normal build, then both again under ASan+UBSan, each in
# parallel (meson's runner; pytest-xdist with HULL_TEST_JOBS workers, default 4). See
# docs/testing.md. The last line is always tests/run-all's `N passed, N failed[, N skipped]`:
# GNU make would print its own "make: *** [check] Error 1" after a failing recipe, so a failed
# build or run ends make with SIGPIPE instead (no message; exit status 141).
QUIET_FAIL = kill -PIPE $$PPID
BUILD_OR_FAIL = $(MAKE) --no-print-directory all build-asan || \
	{ echo "the build failed"; echo "0 passed, 1 failed"; $(QUIET_FAIL); }

check:
	@$(BUILD_OR_FAIL)
	@tests/run-all $(BUILD) $(ASAN) || $(QUIET_FAIL)

# The same suite while `stress-ng --cpu 2` keeps both cores busy: timing assumptions that only
# hold on an idle machine show up here (RUNS=3 for three runs in a row). stress-ng is stopped
# at the end whatever happens.
RUNS ?= 1
check-stress:
	@$(BUILD_OR_FAIL)
	@tests/run-all --stress --runs $(RUNS) $(BUILD) $(ASAN) || $(QUIET_FAIL)

check-unit: all
	@tests/run-all --unit-only $(BUILD) || $(QUIET_FAIL)

check-e2e: all
	@tests/run-all --e2e-only $(BUILD) || $(QUIET_FAIL)

check-asan: build-asan
	@tests/run-all $(ASAN) || $(QUIET_FAIL)

install: all
	meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	ninja -C $(BUILD)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild --strip

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

# Includes point down only (docs/architecture.md, "Layers").
.PHONY: check-layers
check-layers:
	scripts/check-layers

clean:
	rm -rf $(BUILD) $(ASAN)
