# plex-oidc - build, test and run.
#
#   make            build build/plex-oidc (installs missing Debian packages first)
#   make test       unit tests, then black-box tests (the CI command)
#   make run        build and run: setup mode, or CONFIG=FILE to run a configuration
#   make unit       C unit tests only
#   make e2e        black-box tests only
#   make SAN=1 ...  build with AddressSanitizer and UndefinedBehaviorSanitizer
#
# Warnings are errors. Objects go to build/ (build/san/ for SAN=1).

VERSION := 0.1.0
PKGS := libmicrohttpd jansson libcurl libcrypto
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

.PHONY: all deps deps-test test unit e2e run clean format fuzz

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
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -Wno-missing-prototypes -o $@ $< $(BUILD)/libplexoidc.a $(LDFLAGS) $(LDLIBS)

unit: deps $(UNIT_BIN)
	scripts/run-unit $(UNIT_BIN)

e2e: all
	scripts/run-e2e $(BUILD)/plex-oidc

test: deps deps-test
	$(MAKE) unit
	$(MAKE) e2e

fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

run: all
	$(BUILD)/plex-oidc $(if $(CONFIG),--config $(CONFIG),)

format:
	clang-format -i $(SRC) $(shell find src tests/unit tools -name '*.h' -o -name '*.c')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
