#!/usr/bin/env bash
# valgrind.sh [NAME...] — gocore under valgrind memcheck.
#
# For each e2e core (cache/e2e/NAME/{core,exe}, made by tests/e2e.sh; NAMEs
# default to every cached one): `goroutines`, `summary`, `overview --json`,
# `pprof -o FILE` and `report -o FILE`; then a subset of tests/badinput.sh's cases: a core cut
# inside PT_NOTE and in the middle, a mismatched executable, a non-Go ELF,
# not a core.  Each run: valgrind --error-exitcode=99 --leak-check=full
# --errors-for-leak-kinds=definite; it passes when valgrind reports no error
# (exit code not 99, no signal, no timeout) and gocore's exit code is one the
# case allows.  Use a build without sanitizers (GOCORE, default build/gocore).
# The last line is "N passed, M failed"; the exit status is 1 if M > 0.
#
# Environment: GOCORE, GOCORE_E2E_DIR (cache/e2e), GOCORE_VALGRIND_JOBS
# (default nproc), GOCORE_VALGRIND_TIMEOUT (seconds per run, default 600).
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
export GOCORE=${GOCORE:-build/gocore}
E2E_DIR=${GOCORE_E2E_DIR:-cache/e2e}
JOBS=${GOCORE_VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 2)}
export TMO=${GOCORE_VALGRIND_TIMEOUT:-600}

# One run (xargs, in parallel): --run ID ALLOWED_EXITS ARGS...
if [ "${1:-}" = --run ]; then
	id=$2 allowed=$3
	shift 3
	log=$WORK/$id.vg
	timeout -k 10 "$TMO" valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --log-file="$log" \
		"$GOCORE" "$@" >/dev/null 2>"$WORK/$id.err"
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after ${TMO}s"
	elif [ "$rc" -eq 99 ] || grep -q 'ERROR SUMMARY: [1-9]' "$log" ||
		grep -qE '(Invalid|uninitialised|definitely lost)' "$log"; then
		why="valgrind reports errors:"
	elif [ "$rc" -ge 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [[ $allowed != *"$rc"* ]]; then
		why="exit $rc, want one of {$allowed}: $(head -1 "$WORK/$id.err")"
	else
		echo "PASS $id: exit $rc" >"$WORK/$id.res"
		exit 0
	fi
	{
		echo "FAIL $id: gocore $*: $why"
		head -40 "$log" | sed 's/^/    /'
	} >"$WORK/$id.res"
	exit 0
fi

if [ ! -x "$GOCORE" ]; then
	echo "FAIL setup: $GOCORE does not exist or is not executable (build it with: make)"
	echo "0 passed, 1 failed"
	exit 1
fi
if ! command -v valgrind >/dev/null; then
	echo "FAIL setup: valgrind is not installed"
	echo "0 passed, 1 failed"
	exit 1
fi
if nm -D "$GOCORE" 2>/dev/null | grep -q __asan_init || nm "$GOCORE" 2>/dev/null | grep -q __asan_init; then
	echo "FAIL setup: $GOCORE is built with AddressSanitizer; valgrind needs a plain build (make)"
	echo "0 passed, 1 failed"
	exit 1
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gocore-valgrind.XXXXXX")
export WORK
trap 'rm -rf "$WORK"' EXIT

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for d in "$E2E_DIR"/*/; do
		n=$(basename "$d")
		[ -s "$d/core" ] && [ -s "$d/exe" ] && names+=("$n")
	done
fi
[ ${#names[@]} -gt 0 ] || { echo "FAIL setup: no cores in $E2E_DIR (run tests/e2e.sh)"; echo "0 passed, 1 failed"; exit 1; }

runs=$WORK/runs
: >"$runs"
add() { local IFS=$'\001'; echo "$*" >>"$runs"; }
for n in "${names[@]}"; do
	c=$E2E_DIR/$n/core e=$E2E_DIR/$n/exe
	add "$n-goroutines" 03 goroutines "$c" "$e"
	add "$n-summary" 03 summary "$c" "$e"
	add "$n-overview-json" 03 overview --json "$c" "$e"
	add "$n-pprof" 03 pprof -o "$WORK/$n.pb.gz" "$c" "$e"
	add "$n-report" 03 report -o "$WORK/$n.html" "$c" "$e"
done

# Bad input, against the first core.
n=${names[0]}
c=$E2E_DIR/$n/core e=$E2E_DIR/$n/exe
note_off=$(readelf -lW "$c" 2>/dev/null | awk '$1 == "NOTE" {print strtonum($2) + int(strtonum($5) / 2); exit}')
size=$(stat -c %s "$c")
cp --sparse=always "$c" "$WORK/cut-note" && truncate -s "${note_off:-2000}" "$WORK/cut-note"
cp --sparse=always "$c" "$WORK/cut-middle" && truncate -s $((size / 2)) "$WORK/cut-middle"
cp --sparse=always "$c" "$WORK/cut-last" && truncate -s $((size - 1)) "$WORK/cut-last"
add bad-cut-in-note 23 goroutines "$WORK/cut-note" "$e"
add bad-cut-middle 23 goroutines "$WORK/cut-middle" "$e"
add bad-cut-middle-summary 23 summary "$WORK/cut-middle" "$e"
add bad-cut-last-byte 23 overview --json "$WORK/cut-last" "$e"
other=""
for o in "$E2E_DIR"/*/exe; do [ "$o" != "$e" ] && other=$o && break; done
[ -n "$other" ] && add bad-other-exe 2 goroutines "$c" "$other"
[ -n "$other" ] && add bad-other-exe-force 023 goroutines --force "$c" "$other"
add bad-not-go-exe 2 goroutines "$c" /bin/ls
add bad-not-elf-exe 2 goroutines "$c" README.md
add bad-not-core-exe 2 goroutines "$e"
add bad-not-core-text 2 goroutines README.md
: >"$WORK/empty"
add bad-not-core-empty 2 goroutines "$WORK/empty"

t0=$(date +%s)
echo "valgrind: $(wc -l <"$runs") runs ($JOBS at a time, gocore = $GOCORE)"
tr '\n' '\0' <"$runs" |
	xargs -0 -P "$JOBS" -n 1 bash -c 'IFS=$'"'"'\001'"'"' read -r -a a <<<"$1"; exec bash "$0" --run "${a[@]}"' "$0"
t1=$(date +%s)
cat "$WORK"/*.res
passed=$(cat "$WORK"/*.res | grep -c '^PASS')
failed=$(cat "$WORK"/*.res | grep -c '^FAIL')
echo "valgrind: $((t1 - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
