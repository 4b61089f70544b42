# plex-oidc - build, test and run.
#
#   make            build build/plex-oidc (installs missing Debian packages first)
#   make test       unit tests, then black-box tests (the CI command)
#   make run        build and run: setup mode, or CONFIG=FILE to run a configuration
#   make unit       C unit tests only
#   make e2e        black-box tests only
#   make SAN=1 ...  build with AddressSanitizer and UndefinedBehaviorSanitizer
#   make lint       format check, banned functions, shellcheck (scripts/lint)
#   make format     apply .clang-format to src/, tests/unit/, tools/, fuzz/
#   make fuzz       build the libFuzzer targets and run each (fuzz/README.md)
#   make deb        build/plex-oidc_VERSION_ARCH.deb (scripts/build-deb)
#   make dist       build/plex-oidc-VERSION.tar.gz, the sources (scripts/dist)
#   make package-test  the container image, the package and the tarball,
#                   tested (tests/package/run; needs podman: not in make test)
#
# Warnings are errors. Objects go to build/ (build/san/ for SAN=1).

# The version, in one place: the VERSION file (--version, the package, the
# source tarball).
VERSION := $(shell cat VERSION)
PKGS := libmicrohttpd jansson libcurl libcrypto hiredis
CC ?= cc

ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT ?= -O1 -g
else
BUILD := build
SANFLAGS :=
OPT ?= -O2 -g
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wvla -Wpointer-arith -Wcast-qual -Wno-unused-parameter -Werror
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -iquote src -iquote $(BUILD)/gen -D_GNU_SOURCE -DPO_VERSION=\"$(VERSION)\"
CFLAGS += -std=c17 $(OPT) $(WARN) $(SANFLAGS) -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(PKG_CFLAGS)
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS += $(PKG_LIBS)

SRC := $(shell find src -name '*.c' | sort)
LIB_SRC := $(filter-out src/main.c,$(SRC))
OBJ_LIB := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(BUILD)/obj/gen/ui_embedded.o
WEB := $(shell find web -type f | sort)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps deps-test test unit e2e run clean format format-check lint fuzz fuzz-build

all: deps $(BUILD)/plex-oidc

# Installs the Debian packages (and the test tools) when pkg-config cannot
# find a dependency; a no-op on a machine that has them.
deps:
	@pkg-config --exists $(PKGS) || scripts/install-deps build

# The test tools too (Node.js, Chromium, Apache with mod_auth_openidc...).
deps-test:
	@scripts/install-deps test

$(BUILD)/plex-oidc: $(BUILD)/obj/main.o $(BUILD)/libplexoidc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libplexoidc.a: $(OBJ_LIB)
	rm -f $@
	ar rcs $@ $^

# PO_VERSION is compiled in: a new VERSION rebuilds the objects.
$(BUILD)/obj/main.o $(OBJ_LIB): VERSION

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/gen/ui_embedded.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Web assets embedded at build time (tools/embed.c, lwan's bin2hex idea).
$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 $(WARN) -o $@ $<

$(BUILD)/gen/ui_embedded.c $(BUILD)/gen/ui_embedded.h: $(BUILD)/tools/embed $(WEB)
	@mkdir -p $(BUILD)/gen
	$(BUILD)/tools/embed $(BUILD)/gen/ui_embedded.c $(BUILD)/gen/ui_embedded.h $(WEB)

$(BUILD)/obj/gen/ui_embedded.o: $(BUILD)/gen/ui_embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libplexoidc.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -Wno-missing-prototypes -MMD -MP -o $@ $< $(BUILD)/libplexoidc.a $(LDFLAGS) $(LDLIBS)

unit: deps $(UNIT_BIN)
	scripts/run-unit $(UNIT_BIN)

e2e: all
	scripts/run-e2e $(BUILD)/plex-oidc

test: deps deps-test
	$(MAKE) unit
	$(MAKE) e2e

run: all
	$(BUILD)/plex-oidc $(if $(CONFIG),--config $(CONFIG),)

# ---- Format and lint (scripts/lint holds the file lists and the checks) ----

format:
	scripts/lint --fix-format

format-check:
	scripts/lint format

lint:
	scripts/lint

# ---- Fuzzing (fuzz/README.md) ----
#
#   make fuzz [FUZZ_SECONDS=20] [FUZZ_TARGETS="form plex"]
#   make fuzz-build
#
# Each fuzz/fuzz_NAME.c is linked with libFuzzer against an archive of the
# project's sources (src/ without main.c) compiled with coverage, the
# sanitizers and the build's own WARN, CPPFLAGS (so PO_VERSION) and PKGS;
# a target pulls in only the modules it uses. Then scripts/fuzz-run runs
# each target for FUZZ_SECONDS on a scratch copy of fuzz/corpus/NAME/ with
# fuzz/NAME.dict; any crash, leak, undefined behaviour, or an input taking
# over FUZZ_TIMEOUT seconds, fails the run. Needs clang (install-deps test).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_TIMEOUT ?= 10
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_DIR := build/fuzz
FUZZ_ALL := $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
# -max_len per target (default 4096): a little above the largest realistic
# input, and above every limit the parser enforces so the limit paths run.
FUZZ_MAX_LEN_config := 16384
FUZZ_MAX_LEN_ini := 8192
FUZZ_MAX_LEN_form := 16384
FUZZ_MAX_LEN_cookie := 4096
FUZZ_MAX_LEN_plex := 16384
FUZZ_MAX_LEN_b64 := 4096
FUZZ_MAX_LEN_clientip := 1024
FUZZ_MAX_LEN_template := 16384
FUZZ_MAX_LEN_pkce := 512
FUZZ_MAX_LEN_keyring := 16384
FUZZ_MAX_LEN_seal := 5120
FUZZ_MAX_LEN_head := 20480
FUZZ_MAX_LEN_secret_hash := 512
# Undefined behaviour aborts instead of printing and going on.
FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c17 -g -O1 $(WARN) $(FUZZ_SANFLAGS) $(PKG_CFLAGS)
FUZZ_OBJ := $(patsubst src/%.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC))
FUZZ_BIN = $(patsubst %,$(FUZZ_DIR)/bin/fuzz_%,$(FUZZ_TARGETS))

fuzz:
	@for t in $(FUZZ_TARGETS); do [ -f fuzz/fuzz_$$t.c ] || { echo "make fuzz: no fuzz/fuzz_$$t.c; the targets are: $(FUZZ_ALL)" >&2; exit 2; }; done
	@case "$(FUZZ_SECONDS)" in ''|*[!0-9]*|0) echo "make fuzz: FUZZ_SECONDS must be a positive number of seconds" >&2; exit 2;; esac
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz: $(FUZZ_CC) not found; run scripts/install-deps test" >&2; exit 2; }
	@$(MAKE) --no-print-directory -k -j$(FUZZ_JOBS) fuzz-build FUZZ_TARGETS="$(FUZZ_TARGETS)"
	@failed=0; \
	$(foreach t,$(FUZZ_TARGETS),scripts/fuzz-run $(FUZZ_DIR) $(t) $(FUZZ_SECONDS) $(or $(FUZZ_MAX_LEN_$(t)),4096) $(FUZZ_TIMEOUT) || failed=$$((failed + 1));) \
	echo "fuzz: $(words $(FUZZ_TARGETS)) targets, $$((($(words $(FUZZ_TARGETS)) - failed))) passed, $$failed failed"; \
	[ $$failed -eq 0 ]

fuzz-build: $(FUZZ_BIN)

# Objects built with other flags (another compiler, a new VERSION) are
# rebuilt: the flags are kept in a file that changes only when they do.
$(FUZZ_DIR)/flags: FORCE
	@mkdir -p $(@D)
	@echo '$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS)' > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(FUZZ_DIR)/obj/%.o: src/%.c $(FUZZ_DIR)/flags | $(BUILD)/gen/ui_embedded.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libplexoidc_fuzz.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/bin/fuzz_%: fuzz/fuzz_%.c $(FUZZ_DIR)/libplexoidc_fuzz.a $(FUZZ_DIR)/flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -iquote fuzz -MMD -MP -o $@ $< \
	    $(FUZZ_DIR)/libplexoidc_fuzz.a $(PKG_LIBS) -pthread

FORCE:

# Releases: the Debian package and the source tarball.
.PHONY: deb dist package-test
deb: deps
	scripts/build-deb

dist:
	scripts/dist

package-test:
	tests/package/run

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(FUZZ_DIR) -name '*.d' 2>/dev/null)
