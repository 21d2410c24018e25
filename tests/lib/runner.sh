# runner.sh — what tests/e2e.sh and tests/npm-e2e.sh share: the settings
# they both read, the PASS/FAIL bookkeeping and its last line "N passed,
# M failed", and the parallel crash runs.  Sourced (bash) from the top of
# the tree, after the caller has set GOCORE.
#
# Environment: GOCORE_E2E_JOBS (parallel crash runs, default nproc),
# GOCORE_E2E_TIMEOUT (seconds per gocore run, default 300),
# GOCORE_E2E_MIN_LISTED/_HEADER/_PARKED/_RUNNING (compare.py thresholds),
# GOCORE_E2E_COMPARE_FLAGS (compare.py flags; default --relay-stacks),
# PYTHON (default python3).

JOBS=${GOCORE_E2E_JOBS:-$(nproc 2>/dev/null || echo 2)}
TMO=${GOCORE_E2E_TIMEOUT:-300}
THRESHOLDS=(--min-listed "${GOCORE_E2E_MIN_LISTED:-100}" --min-header "${GOCORE_E2E_MIN_HEADER:-100}"
	--min-parked "${GOCORE_E2E_MIN_PARKED:-99}" --min-running "${GOCORE_E2E_MIN_RUNNING:-100}")
# --relay-stacks by default: in a crash dump a goroutine spinning on another
# thread is first printed as "stack unavailable"; the runtime prints its real
# stack later, from that thread's own SIGQUIT handler.  gocore prints the real
# stack, so that later block is the oracle for it.
read -r -a EXTRA_FLAGS <<<"${GOCORE_E2E_COMPARE_FLAGS---relay-stacks}"
PY=${PYTHON:-python3}

passed=0
failed=0
failures=()
pass() { passed=$((passed + 1)); echo "PASS $1${2:+: $2}"; }
fail() {
	failed=$((failed + 1))
	failures+=("$1")
	echo "FAIL $1: $2"
}
indent() { sed 's/^/    /'; }
finish() {
	if [ ${#failures[@]} -gt 0 ]; then echo "failed: ${failures[*]}"; fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# runner_check_tools: $GOCORE and $PY are there, else FAIL setup and finish.
runner_check_tools() {
	if [ ! -x "$GOCORE" ]; then
		fail setup "$GOCORE does not exist or is not executable (build it with: make)"
		finish
	fi
	command -v "$PY" >/dev/null || { fail setup "$PY not found"; finish; }
}

# testdata_programs [NAME...]: sets programs to the NAMEs given, else to
# every testdata program with an e2e.spec; FAIL setup and finish when there
# is none, or when a NAME has no testdata/NAME/e2e.spec.
testdata_programs() {
	local s n
	programs=()
	if [ $# -gt 0 ]; then
		programs=("$@")
	else
		for s in testdata/*/e2e.spec; do
			[ -f "$s" ] && programs+=("$(basename "$(dirname "$s")")")
		done
	fi
	[ ${#programs[@]} -gt 0 ] || { fail setup "no testdata/*/e2e.spec found"; finish; }
	for n in "${programs[@]}"; do
		[ -f "testdata/$n/e2e.spec" ] || { fail "$n" "no testdata/$n/e2e.spec"; finish; }
	done
}

# crash_all SCRIPT DIR NAME...: SCRIPT NAME for every NAME, $JOBS at a
# time; its output goes to DIR/NAME/crash.log and its exit status to
# DIR/NAME/crash.rc.
crash_all() {
	local script=$1 dir=$2 n
	shift 2
	for n in "$@"; do mkdir -p "$dir/$n"; done
	printf '%s\n' "$@" | xargs -P "$JOBS" -I{} \
		sh -c '"$3" "$1" >"$2/$1/crash.log" 2>&1; echo $? >"$2/$1/crash.rc"' _ {} "$dir" "$script"
}
