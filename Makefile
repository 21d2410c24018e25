# gocore — see README.md.  `make` builds build/gocore.
CC ?= cc
PREFIX ?= /usr/local
BUILD ?= build
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wno-unused-parameter -Wformat=2 -Wvla
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I/usr/include/libdwarf \
             -DGOCORE_VERSION='"$(VERSION)"'
LDLIBS = -ldwarf -lelf -lzstd -llz4 -llzma -lz -pthread
ifeq ($(SANITIZE),1)
  ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
endif

# libgocore.a: the layers (common, gopclntab, goruntime, analyzer's
# loaders); the command line (analyzer/cli/) is linked on top of it.
LIB_SRCS := $(wildcard common/*.c gopclntab/*.c goruntime/*.c analyzer/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SRCS := $(wildcard analyzer/cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/report_html.o
UNIT_SRCS := $(wildcard */tests/*_test.c */*/tests/*_test.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)

.PHONY: all deps testdeps install deb package-test disk-check test unit e2e leaks report demo clean holdout fuzz fuzz-regress badinput crafted valgrind asan bench
all: $(BUILD)/gocore

deps:
	@scripts/deps.sh build
testdeps:
	@scripts/deps.sh test

$(BUILD)/obj/%.o: %.c $(wildcard */*.h */*/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The report's page (analyzer/cli/report.html), built into the binary as
# bytes (od and sed: nothing beyond coreutils).
$(BUILD)/gen/report_html.c: analyzer/cli/report.html
	@mkdir -p $(dir $@)
	{ echo '#include <stddef.h>'; \
	  echo 'extern const unsigned char gocore_report_html[];'; \
	  echo 'extern const size_t gocore_report_html_len;'; \
	  echo 'const unsigned char gocore_report_html[] = {'; \
	  od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const size_t gocore_report_html_len = sizeof(gocore_report_html);'; } > $@
$(BUILD)/obj/gen/report_html.o: $(BUILD)/gen/report_html.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libgocore.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/gocore: $(CLI_OBJS) $(BUILD)/libgocore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The command line's own tests link its objects (main's aside).
$(BUILD)/analyzer/cli/tests/%_test: analyzer/cli/tests/%_test.c $(filter-out $(BUILD)/obj/analyzer/cli/main.o,$(CLI_OBJS)) $(BUILD)/libgocore.a $(wildcard */*.h */*/*.h */tests/*.h) | testdeps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(filter-out $(BUILD)/obj/analyzer/cli/main.o,$(CLI_OBJS)) $(BUILD)/libgocore.a -lcmocka $(LDLIBS)

$(BUILD)/%_test: %_test.c $(BUILD)/libgocore.a $(wildcard */*.h */tests/*.h) | testdeps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libgocore.a -lcmocka $(LDLIBS)

# Checks of the type-descriptor reader and the globals finder on every binary
# of the npm corpus, against go-runtime-facts.md and the oracles: run by
# `make e2e` once tests/npm-e2e.sh has fetched the corpus (a _check, not a
# _test, so `make unit` does not run it before the corpus exists).
$(BUILD)/goruntime/tests/corpus_check: goruntime/tests/corpus_check.c $(BUILD)/libgocore.a $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libgocore.a -lcmocka $(LDLIBS)

# Held-out real binaries (Go 1.18-1.27: turbo, buf, tsgo, old esbuild and
# lefthook) that gocore was never tuned on; not part of `make test`.
holdout: $(BUILD)/gocore
	@scripts/deps.sh test
	GOCORE_NPM_LIST=tests/npm-holdout.list tests/npm-e2e.sh

# Allocation-failure injection: the test wraps the allocator to fail each
# allocation in turn (libbacktrace's technique).
ALLOCFAIL_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=reallocarray,--wrap=free,--wrap=strdup,--wrap=strndup,--wrap=vasprintf,--wrap=asprintf,--wrap=open_memstream
$(BUILD)/analyzer/cli/tests/allocfail_test: LDFLAGS += $(ALLOCFAIL_WRAP)

# `gocore leaks` and `gocore waits` on the cores of testdata/blocked (Go
# 1.19, 1.26, 1.27; crashed here as the e2e runs would, cached), against
# the goroutines it leaked by construction and the runtime's goroutineleak
# profile; first the checker's self-test on a fake gocore (tests/leaks.sh).
leaks: $(BUILD)/gocore
	tests/leaks.sh --selftest
	@set -e; for v in $(E2E_GOS); do d=cache/e2e-go$$v; [ $$v != 1.19 ] || d=cache/e2e; \
		GOCORE_GO=$$v GOCORE_E2E_DIR=$$d tests/crash.sh blocked; done
	GOCORE=$(BUILD)/gocore tests/leaks.sh

# The HTML report of several e2e cores in headless chromium (after make e2e).
report: $(BUILD)/gocore
	@scripts/deps.sh test
	GOCORE=$(BUILD)/gocore tests/report.sh

# Truncated, corrupted, mismatched and non-core inputs (tests/badinput.sh).
badinput: $(BUILD)/gocore
	GOCORE=$(BUILD)/gocore tests/badinput.sh

# Inputs crafted as an attacker would, built from the end-to-end cores
# (tests/crafted.sh): bounded time, memory, output and temporary files.
crafted: $(BUILD)/gocore
	GOCORE=$(BUILD)/gocore tests/crafted.sh

# valgrind memcheck over the end-to-end cores and some bad inputs.
valgrind: $(BUILD)/gocore
	GOCORE=$(BUILD)/gocore tests/valgrind.sh

# The end-to-end, bad-input, crafted-input and --color suites again with
# ASan+UBSan.
asan:
	$(MAKE) SANITIZE=1 BUILD=build-asan build-asan/gocore
	GOCORE=build-asan/gocore tests/e2e.sh
	GOCORE=build-asan/gocore tests/badinput.sh
	GOCORE=build-asan/gocore GOCORE_CRAFTED_DIR=cache/crafted-asan tests/crafted.sh
	GOCORE=build-asan/gocore tests/colour.sh cache/e2e

# 10k, 100k and 1M goroutines: gocore's times and memory, and Delve's on
# the 100k core when it is installed (bench/run.sh; cores cached in cache/bench).
bench:
	bench/run.sh

# The binary, the man page and the bash completion.
install: $(BUILD)/gocore
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/gocore $(DESTDIR)$(PREFIX)/bin/gocore
	install -m 644 docs/gocore.1 $(DESTDIR)$(PREFIX)/share/man/man1/gocore.1
	install -m 644 completion/gocore.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gocore

# build/gocore_<version>_<arch>.deb (scripts/deb.sh), and its checks: the
# man page's lint and coverage of --help, lintian, the package's contents,
# make install, the bash completion (tests/packaging.sh).
deb:
	MAKE="$(MAKE)" scripts/deb.sh
package-test: $(BUILD)/gocore
	GOCORE=$(BUILD)/gocore tests/packaging.sh

# Go programs the unit tests read (testdata/<name>/, one Go module), built
# at test time into $(BUILD)/fixtures/<name> with Go 1.19 (Debian's
# golang-1.19-go, found by tests/toolchain.sh): some unit tests hold
# offsets and names of that release.
# (the programs without an e2e.spec; those with one are the end-to-end tests'.)
E2E_NAMES := $(notdir $(patsubst %/,%,$(dir $(wildcard testdata/*/e2e.spec))))
FIXTURE_NAMES := $(filter-out $(E2E_NAMES),$(notdir $(patsubst %/,%,$(dir $(wildcard testdata/*/main.go)))))
FIXTURES := $(FIXTURE_NAMES:%=$(BUILD)/fixtures/%)
$(BUILD)/fixtures/%: testdata/%/main.go testdata/go.mod | testdeps
	@mkdir -p $(dir $@)
	go=$$(tests/toolchain.sh 1.19) && cd testdata && GOTOOLCHAIN=local GOFLAGS=-mod=mod $$go build -o ../$@ ./$*

# The layering check (analyzer -> goruntime -> gopclntab -> common, one
# way), then the unit tests; those that run `go build` or `go tool` get Go
# 1.19 first on PATH.
unit: $(UNIT_BINS) $(FIXTURES)
	tests/layers.sh
	@set -e; go=$$(tests/toolchain.sh 1.19); export PATH="$$(dirname $$go):$$PATH" GOTOOLCHAIN=local; \
	for t in $(UNIT_BINS); do echo "== $$t"; GOCORE_FIXTURES=$(BUILD)/fixtures $$t; done

# The testdata programs built by each toolchain (Go 1.19, 1.26, 1.27; see
# tests/toolchain.sh), for amd64 and (under qemu-user) arm64, riscv64 and
# loong64, as built (and read through a stripped copy of each
# executable), every command checked on them; built stripped, PIE and
# section-less by 1.19 and 1.27; then real stripped Go 1.19-1.27 binaries
# from the npm registry.
E2E_GOS := 1.19 1.26 1.27
# Cross-built for arm64, riscv64 and loong64 (CGO_ENABLED=0) and crashed
# under qemu-user (tests/qemu.sh, tests/crash.sh): ARCH:GO pairs.  Then the
# npm binaries of those architectures, and cores written by Debian's arm64
# kernel booted under qemu-system-aarch64 (tests/kernel-core.sh).
E2E_ARCHES := arm64:1.19 arm64:1.26 arm64:1.27 riscv64:1.19 riscv64:1.27 loong64:1.19 loong64:1.27
e2e: $(BUILD)/gocore $(BUILD)/goruntime/tests/corpus_check
	@scripts/deps.sh test
	@set -e; for v in $(E2E_GOS); do echo "== e2e, Go $$v"; GOCORE_GO=$$v tests/e2e.sh; done
	@set -e; for a in $(E2E_ARCHES); do echo "== e2e, $${a%%:*}, Go $${a##*:}"; \
		GOCORE_ARCH=$${a%%:*} GOCORE_GO=$${a##*:} tests/e2e.sh; done
	GOCORE=$(BUILD)/gocore tests/leaks.sh
	tests/commands.sh --dir cache/e2e --dir cache/e2e-go1.26 --dir cache/e2e-go1.27
	GOCORE=$(BUILD)/gocore tests/colour.sh
	GOCORE=$(BUILD)/gocore tests/report.sh
	tests/commands.sh --dir cache/e2e-arm64-go1.27 --dir cache/e2e-riscv64-go1.27 --dir cache/e2e-loong64-go1.27
	tests/e2e-variants.sh
	GOCORE_GO=1.27 tests/e2e-variants.sh
	tests/commands.sh --dir cache/e2e-stripped --dir cache/e2e-go1.27-stripped labels holdout_labeled
	tests/npm-e2e.sh
	tests/commands.sh --dir cache/npm
	GOCORE_NPM_LIST=tests/npm-arch.list tests/npm-e2e.sh
	tests/commands.sh --dir cache/npm-arch
	@set -e; for n in chans threads timers; do tests/kernel-core.sh arm64 $$n; done
	GOCORE_NPM_DIR=cache/npm $(BUILD)/goruntime/tests/corpus_check

# A cold run writes about 15 GB into cache/: say so at once when the disk
# cannot take it (tests/disk-check.sh), not half an hour later.
TEST_DISK_GB ?= 16
disk-check:
	@tests/disk-check.sh $(TEST_DISK_GB)

test: disk-check unit e2e crafted fuzz-regress asan package-test

# libFuzzer targets (clang, ASan+UBSan) built in build-fuzz/; see fuzz/README.md.
# `make fuzz FUZZ_SECONDS=N` fuzzes each target for N seconds; make test
# replays the seeds and every saved regression input.
FUZZ_SECONDS ?= 10
fuzz:
	@scripts/deps.sh fuzz
	FUZZ_JOBS=2 fuzz/run.sh $(FUZZ_SECONDS)
fuzz-regress:
	@scripts/deps.sh fuzz
	fuzz/run.sh --regress

demo: $(BUILD)/gocore
	@scripts/deps.sh test
	@tests/demo.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
