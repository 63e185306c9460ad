# Thin wrapper over meson + ninja. `make`, `make check`, `sudo make install` (PREFIX, DESTDIR).
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
ASAN    ?= build-asan
MESON_OPTS ?= -Dwerror=true

.PHONY: all check check-unit check-e2e check-asan install clean format format-check demo bundle

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

$(ASAN)/build.ninja:
	meson setup $(ASAN) --prefix=$(PREFIX) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

# Every test: unit + end-to-end on the normal build, then both again under ASan+UBSan.
check: all $(ASAN)/build.ninja
	ninja -C $(ASAN)
	tests/run-all $(BUILD) $(ASAN)

check-unit: all
	meson test -C $(BUILD) --print-errorlogs

check-e2e: all
	tests/run-all --e2e-only $(BUILD)

check-asan: $(ASAN)/build.ninja
	ninja -C $(ASAN)
	tests/run-all $(ASAN)

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
