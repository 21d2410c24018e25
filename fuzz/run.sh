#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan + libFuzzer) into
# $BUILD_FUZZ (default build-fuzz/) and runs them.
#
#   fuzz/run.sh [SECONDS]        fuzz each target for SECONDS (default 10)
#   fuzz/run.sh --regress        run each target once over its seeds and
#                                fuzz/regressions/<target>/ (fast; for make test)
#   fuzz/run.sh --build          only build
#   FUZZ_TARGETS="pclntab types" fuzz/run.sh 60    a subset
#   FUZZ_JOBS=2 fuzz/run.sh 180  run that many targets at a time
#
# The seed corpora come from fuzz/seeds.sh (cache/fuzz/seeds/<target>/); the
# growing corpora live in cache/fuzz/corpus/<target>/, crashes in
# cache/fuzz/crashes/<target>/.  Exit status: non-zero when a target found a
# crash or a regression input fails.
set -eu
cd "$(dirname "$0")/.."

CLANG=${CLANG:-clang}
B=${BUILD_FUZZ:-build-fuzz}
TARGETS=${FUZZ_TARGETS:-core exe pclntab types walk decompress}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-unused-parameter \
 -I/usr/include/libdwarf -DGOCORE_VERSION=\"fuzz\" -DGOCORE_FUZZ=1"
# The Makefile's libraries; plus the compressed-core readers' while the
# Makefile does not name them yet (analyzer/decompress.c is new).
LDLIBS="$(sed -n 's/^LDLIBS *[:+]*= *//p' Makefile | tr '\n' ' ')"
[ -n "$LDLIBS" ] || LDLIBS="-ldwarf -lelf -lz"
if [ -f analyzer/decompress.c ]; then
	for l in zstd lz4 lzma; do
		case " $LDLIBS " in *" -l$l "*) ;; *) grep -q "$l" analyzer/decompress.c && LDLIBS="$LDLIBS -l$l" ;; esac
	done
fi

if ! command -v "$CLANG" >/dev/null 2>&1 ||
   [ -z "$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null | head -1)" ]; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y clang libclang-rt-14-dev >&2
	else
		echo "fuzz/run.sh: needs clang and libFuzzer: apt-get install clang libclang-rt-14-dev" >&2
		exit 2
	fi
fi

build() {
	mkdir -p "$B/obj" "$B/bin"
	objs=""
	for src in common/*.c gopclntab/*.c goruntime/*.c analyzer/*.c; do
		obj="$B/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
		# Rebuild when the source or any header is newer.
		if [ ! -f "$obj" ] || [ -n "$(find "$src" */*.h -newer "$obj" 2>/dev/null | head -1)" ]; then
			$CLANG $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
		fi
		objs="$objs $obj"
	done
	rm -f "$B/libgocore-fuzz.a"
	ar rcs "$B/libgocore-fuzz.a" $objs
	for t in $TARGETS; do
		$CLANG $CFLAGS $SAN -fsanitize=fuzzer -o "$B/bin/fuzz_$t" "fuzz/fuzz_$t.c" \
			"$B/libgocore-fuzz.a" $LDLIBS
	done
}

# Per-target libFuzzer options: the walk inputs are small cores (~1 MiB).
opts() {
	case $1 in
	walk) echo "-max_len=4194304 -timeout=30 -rss_limit_mb=4096" ;;
	pclntab) echo "-max_len=1048576 -timeout=20" ;;
	# Compressed cores: seeds up to 256 KiB; each run decompresses up to
	# 64 MiB (the target's bound) into /dev/shm.
	decompress) echo "-max_len=262144 -timeout=20 -rss_limit_mb=4096" ;;
	*) echo "-max_len=262144 -timeout=20" ;;
	esac
}

SEEDS=cache/fuzz/seeds
build
[ "${1:-}" = --build ] && exit 0
REGRESS=0
[ "${1:-}" = --regress ] && REGRESS=1
status=0
# In --regress, anything that would leave inputs unreplayed is a failure:
# a missing fuzz/regressions/, seeds that failed to build, a target not
# built or not in TARGETS, a target with no executable or no input, a
# replay that ran no input.
fail() { echo "fuzz-regress: FAILED: $*"; status=1; }
# Seeds come from the end-to-end tests' cores; make them once when possible.
if [ ! -d "$SEEDS" ] && ls cache/e2e/*/core >/dev/null 2>&1; then
	if ! fuzz/seeds.sh >&2; then
		rm -rf "$SEEDS"
		if [ "$REGRESS" = 1 ]; then
			fail "fuzz/seeds.sh could not build the seed corpora"
		else
			echo "fuzz/run.sh: fuzz/seeds.sh failed; running without seeds" >&2
		fi
	fi
fi
# fuzz_walk needs its executable (seeds.sh copies it).
if [ ! -f "${GOCORE_FUZZ_EXE:-$SEEDS/walk.exe}" ]; then
	case " $TARGETS " in *" walk "*)
		if [ "$REGRESS" = 1 ]; then
			fail "fuzz_walk has no executable (run tests/e2e.sh chans, then fuzz/seeds.sh)"
		else
			echo "fuzz_walk: skipped, no executable (run tests/e2e.sh chans, then fuzz/seeds.sh)" >&2
		fi
		TARGETS=$(echo " $TARGETS " | sed 's/ walk / /') ;;
	esac
fi

if [ "$REGRESS" = 1 ]; then
	[ -d fuzz/regressions ] || fail "fuzz/regressions/ is missing"
	# Every target in fuzz/ is replayed (unless FUZZ_TARGETS picks some).
	if [ -z "${FUZZ_TARGETS:-}" ]; then
		for src in fuzz/fuzz_*.c; do
			t=$(basename "$src" .c | sed 's/^fuzz_//')
			case " $TARGETS walk " in *" $t "*) ;; *) fail "fuzz_$t is not among the targets ($TARGETS)" ;; esac
		done
	fi
	for t in $TARGETS; do
		if [ ! -x "$B/bin/fuzz_$t" ]; then
			fail "fuzz_$t was not built"
			continue
		fi
		dirs=""
		for d in "fuzz/regressions/$t" "$SEEDS/$t"; do
			[ -d "$d" ] && [ -n "$(ls -A "$d")" ] && dirs="$dirs $d"
		done
		if [ -z "$dirs" ]; then
			fail "fuzz_$t: no input (nothing in fuzz/regressions/$t or $SEEDS/$t)"
			continue
		fi
		nreg=0
		[ -d "fuzz/regressions/$t" ] && nreg=$(find "fuzz/regressions/$t" -type f | wc -l)
		# -runs=0 with directories runs every file once and exits.
		if ASAN_OPTIONS=detect_leaks=1 "$B/bin/fuzz_$t" $(opts "$t") -runs=0 $dirs \
			>"$B/regress_$t.log" 2>&1; then
			# What libFuzzer says it read, not what the directories hold.
			n=$(sed -n 's/.*seed corpus: files: \([0-9]*\).*/\1/p' "$B/regress_$t.log" | tail -1)
			if [ -z "$n" ] || [ "$n" -eq 0 ] || ! grep -q '^Done [0-9]* runs' "$B/regress_$t.log"; then
				fail "fuzz_$t replayed no input (see $B/regress_$t.log)"
			else
				echo "fuzz_$t: $n inputs replayed ($nreg from fuzz/regressions/$t), ok"
			fi
		else
			echo "fuzz_$t: FAILED (see $B/regress_$t.log)"; tail -40 "$B/regress_$t.log"
			status=1
		fi
	done
	exit $status
fi

SECS=${1:-10}
JOBS=${FUZZ_JOBS:-1}
run_one() {
	t=$1
	mkdir -p "cache/fuzz/corpus/$t" "cache/fuzz/crashes/$t"
	seeds=""
	[ -d "$SEEDS/$t" ] && seeds="$SEEDS/$t"
	[ -d "fuzz/regressions/$t" ] && seeds="$seeds fuzz/regressions/$t"
	log="$B/fuzz_$t.log"
	rc=0
	"$B/bin/fuzz_$t" $(opts "$t") -max_total_time="$SECS" -print_final_stats=1 \
		-artifact_prefix="cache/fuzz/crashes/$t/" \
		"cache/fuzz/corpus/$t" $seeds >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ "$rc" = 0 ]; then
		echo "fuzz_$t: ${execs:-?} execs in ${SECS}s (${speed:-?}/s), $cov"
	else
		echo "fuzz_$t: CRASH after ${execs:-?} execs (see $log, cache/fuzz/crashes/$t/)"
		grep -m1 -A25 'ERROR\|runtime error\|==ERROR' "$log" || tail -30 "$log"
		return 1
	fi
}
status=0
if [ "$JOBS" -le 1 ]; then
	for t in $TARGETS; do run_one "$t" || status=1; done
else
	# $JOBS targets at a time: each in a slot of its own, run one after
	# another within the slot.
	i=0
	pids=""
	while [ "$i" -lt "$JOBS" ]; do
		(
			j=0; st=0
			for t in $TARGETS; do
				[ $((j % JOBS)) = "$i" ] && { run_one "$t" >"$B/summary_$t.txt" 2>&1 || st=1; }
				j=$((j + 1))
			done
			exit $st
		) &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do wait "$p" || status=1; done
	for t in $TARGETS; do cat "$B/summary_$t.txt"; done
fi
exit $status
