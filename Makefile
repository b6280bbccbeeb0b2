# certrotate - plain Makefile.  Knobs first.
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
CFLAGS  ?= -O2 -g
# Flags we always want; CFLAGS stays the user's.
WARN     = -std=c17 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
DEFS     = -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DCR_VERSION='"$(VERSION)"' \
           -DCR_KINDS_DIR='"$(PREFIX)/share/certrotate/kinds"' \
           -DCR_LIBP11_VERSION=$(or $(LIBP11_VERSION),0)
VERSION  = 0.1.0

PKGS     = libp11 libcrypto libssl p11-kit-1 libconfig json-c libcmark-gfm
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libp11's version as a number (0.4.12: 412): pkcs11/module.c reads the
# function list libp11 initialised from its private context, whose layout is
# known for 0.4.x only.
LIBP11_VERSION := $(shell pkg-config --modversion libp11 2>/dev/null | \
  awk -F. '{ printf "%d", $$1 * 10000 + $$2 * 100 + $$3 }')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

ALL_CFLAGS = $(WARN) $(DEFS) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS     = $(PKG_LIBS) -lpthread

# Layers, lowest first.  Each is a static library; a layer links only
# against the layers below it.
COMMON_SRC = $(wildcard common/*.c)
P11_SRC    = $(wildcard pkcs11/*.c)
CERT_SRC   = $(wildcard cert/*.c)
PLAN_SRC   = $(wildcard plan/*.c)
CHECK_SRC  = $(wildcard check/*.c)
BOOK_SRC   = $(wildcard runbook/*.c)
ROT_SRC    = $(filter-out rotate/main.c,$(wildcard rotate/*.c))

objs = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIBS = $(BUILD)/librot.a $(BUILD)/libbook.a $(BUILD)/libcheck.a $(BUILD)/libplan.a $(BUILD)/libcert.a $(BUILD)/libcrp11.a $(BUILD)/libcommon.a

BIN = $(BUILD)/certrotate
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FAULT_MOD = $(BUILD)/tests/p11fault.so
# Fills a SoftHSM2 token in one session (bench/run.sh, tests/e2e/t_calls.sh).
TOKENFILL = $(BUILD)/bench/tokenfill

.PHONY: all check unit e2e asan fuzz demo bench install clean deps deps-check screenshot
all: $(BIN)

# Objects are rebuilt when the flags change (PREFIX is compiled in): the
# stamp's content is the flags, rewritten only when they differ.
FLAGS_STAMP = $(BUILD)/.flags
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(subst ','\'',$(ALL_CFLAGS))' ] || \
  printf '%s' '$(subst ','\'',$(ALL_CFLAGS))' >$(FLAGS_STAMP); })

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libcommon.a: $(call objs,$(COMMON_SRC))
$(BUILD)/libcrp11.a:  $(call objs,$(P11_SRC))
$(BUILD)/libcert.a:   $(call objs,$(CERT_SRC))
$(BUILD)/libplan.a:   $(call objs,$(PLAN_SRC))
$(BUILD)/libcheck.a:  $(call objs,$(CHECK_SRC))
$(BUILD)/libbook.a:   $(call objs,$(BOOK_SRC))
$(BUILD)/librot.a:    $(call objs,$(ROT_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/rotate/main.o $(LIBS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS) $(LDLIBS) $(CMOCKA_LIBS)

# The fault-injecting PKCS#11 module used by tests (forwards to SoftHSM2).
$(FAULT_MOD): tests/p11fault/p11fault.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< $(shell pkg-config --cflags p11-kit-1) -ldl

# ---- tests ---------------------------------------------------------------
# `make check` installs missing packages, builds, runs unit tests, then the
# end-to-end tests against SoftHSM2 tokens and nginx on 127.0.0.1.
check: deps-check
	$(MAKE) --no-print-directory all-tests
	$(MAKE) --no-print-directory cycles-quiet
	$(MAKE) --no-print-directory run-tests

# No circular calls between the files of one directory, and no use of a layer
# above (read from the objects' symbols): `make cycles` prints each layer's
# file -> file calls, bottom-up.  Layers lowest first; check and runbook stand
# side by side (neither uses the other).
LAYER_DIRS = common pkcs11 cert plan check,runbook rotate
.PHONY: cycles cycles-quiet
cycles: $(LIBS)
	sh tests/callgraph.sh $(BUILD) $(LAYER_DIRS)
cycles-quiet: $(LIBS)
	sh tests/callgraph.sh -q $(BUILD) $(LAYER_DIRS)

.PHONY: all-tests run-tests
all-tests: $(BIN) $(UNIT_BIN) $(FAULT_MOD) $(TOKENFILL)
run-tests:
	BUILD=$(BUILD) sh tests/run.sh

unit: $(UNIT_BIN)
	BUILD=$(BUILD) sh tests/run.sh unit

e2e: $(BIN) $(FAULT_MOD) $(TOKENFILL)
	BUILD=$(BUILD) sh tests/run.sh e2e

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps-check
	$(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all-tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  BUILD=build-asan sh tests/run.sh

# ---- fuzzing ----------------------------------------------------------------
# `make fuzz FUZZ_SECONDS=N`: every harness tests/fuzz/fuzz_NAME.c, built with
# clang (-fsanitize=fuzzer,address,undefined) in its own BUILD dir, run N
# seconds each in turn on a copy of its seeds tests/fuzz/corpus/NAME/
# (tests/fuzz/run.sh; FUZZ_ONLY="dn smtp" runs those).  A crash, a sanitizer
# report or a violated property fails it.  A new harness is a new
# tests/fuzz/fuzz_NAME.c (and its corpus): the wildcard picks it up.
FUZZ_SECONDS ?= 60
FUZZ_ONLY    ?=
FUZZ_CC      ?= clang
FUZZ_BUILD    = build-fuzz
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC      = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN      = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

fuzz: deps-check
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	  LDFLAGS="$(FUZZ_SAN)" fuzz-harnesses
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_ONLY)

.PHONY: fuzz-harnesses
fuzz-harnesses: $(FUZZ_BIN)
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIBS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBS) $(LDLIBS)

demo: deps-check $(BIN)
	BUILD=$(BUILD) sh examples/demo.sh

# doc/runbook.png, the README's picture of an HTML runbook, taken by headless
# Chromium.  Not part of `make check`: Chromium is large, so it is installed
# here only (SCREENSHOT_PKGS), not with the other packages.
SCREENSHOT_PKGS = chromium
screenshot: deps-check $(BIN)
	@dpkg-query -W -f='$${Status}' $(SCREENSHOT_PKGS) 2>/dev/null | grep -q 'ok installed' || \
	  $(MAKE) --no-print-directory deps DEB_PKGS="$(SCREENSHOT_PKGS)"
	BUILD=$(BUILD) sh doc/screenshot.sh

$(TOKENFILL): bench/tokenfill.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libcrypto) -ldl

# `make bench`: bench/run.sh's table (a few minutes); BENCH_MORE=1 adds
# bench/scale.sh (how plan and check grow with the inventory and the token).
bench: deps-check $(BIN) $(TOKENFILL) $(FAULT_MOD)
	BUILD=$(BUILD) TOKENFILL=$(TOKENFILL) P11FAULT=$(FAULT_MOD) sh bench/run.sh
	@if [ "$(BENCH_MORE)" = 1 ]; then BUILD=$(BUILD) TOKENFILL=$(TOKENFILL) sh bench/scale.sh; fi

# ---- dependencies ----------------------------------------------------------
# Every Debian package the build, the tests and the demo need: python3 reads
# JSON in the end-to-end tests, procps (ps) and iproute2 (ss) run their nginx,
# libcmark-gfm-dev and its extensions render runbooks to HTML (the runbook's
# pipe tables are GitHub's extension, which plain libcmark lacks), mandoc
# lints the man pages in the tests, p11-kit (its server) and p11-kit-modules
# (client and proxy modules) reach a token remotely (tests/e2e/t_remote.sh);
# clang and its libFuzzer runtime (libclang-rt-14-dev, only recommended by
# clang) build `make fuzz`; haproxy serves a combined PEM in tests/e2e/t_files.sh.
DEB_PKGS = gcc make pkg-config libc6-dev libp11-dev libssl-dev libp11-kit-dev \
  libconfig-dev libjson-c-dev libcmocka-dev softhsm2 opensc gnutls-bin \
  nginx-light libnginx-mod-mail libengine-pkcs11-openssl openssl valgrind \
  libcmark-gfm-dev libcmark-gfm-extensions-dev mandoc python3 procps iproute2 \
  p11-kit p11-kit-modules clang libclang-rt-14-dev haproxy
deps-check:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then echo "certrotate: installing missing packages:$$missing"; $(MAKE) --no-print-directory deps; fi

deps:
	@if [ "$$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then \
	  echo "make deps: run as root (apt-get install $(DEB_PKGS))" >&2; exit 1; fi; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PKGS)

# ---- install -----------------------------------------------------------------
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/certrotate/kinds
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/certrotate
	install -m 0644 doc/certrotate.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 doc/certrotate.cfg.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 kinds/*.cfg $(DESTDIR)$(PREFIX)/share/certrotate/kinds/

clean:
	rm -rf build build-asan build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
