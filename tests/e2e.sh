#!/usr/bin/env bash
# e2e.sh [NAME...] — end-to-end tests of build/gocore against real crashes.
#
# For every program testdata/NAME/ that has an e2e.spec (all of them, the
# holdout_* ones included, unless NAMEs are given):
#   crash        tests/crash.sh builds it, crashes it with GOTRACEBACK=crash
#                and keeps the runtime's dump (oracle.txt) and the core
#                under cache/e2e/NAME/ (cached; see crash.sh)
#   goroutines   `gocore goroutines core exe` exits 0 (3 only when the spec
#                documents expected gaps with a `gaps` line)
#   compare      tests/compare.py: oracle vs gocore's output meets the
#                thresholds (listed 100, header 100, parked 99, running 100)
#   stack        `gocore stack GOID core exe` prints exactly GOID's block of
#                the `goroutines` output (GOID: the spec's `stack` line, else
#                a parked goroutine in user code)
#   stack-none   `gocore stack` for a goroutine that does not exist exits 2
#                with a message on stderr
#   stripped-same  (plain builds) `gocore goroutines` through a `strip`ped
#                copy of the exe prints the same; for a c-shared program
#                (cache/.../NAME/libgo.so) the host and the library are
#                both stripped and the library given with --lib
#   threads-v    `gocore threads -v`: the first thread's program counter
#                register (rip, pc) is the PC it lists
# plus "compare-selftest" (tests/compare_selftest.py on the oracles).
# The last line is "N passed, M failed"; the exit status is 1 if M > 0.
#
# Environment: GOCORE (default build/gocore), GOCORE_GO (the toolchain that
# builds the programs: 1.19, the default, 1.26 or 1.27; see toolchain.sh),
# GOCORE_ARCH (amd64, the default; arm64, riscv64 or loong64: the programs
# are cross-built with CGO_ENABLED=0 and run under qemu-user, see crash.sh
# and tests/qemu.sh; those that need cgo are N/A),
# GOCORE_E2E_DIR (cache/e2e for 1.19, else cache/e2e-go1.N; for another
# architecture cache/e2e-ARCH-go1.N),
# GOCORE_E2E_JOBS (parallel crash runs, default nproc), GOCORE_CORE_METHOD
# (see crash.sh), GOCORE_E2E_MIN_LISTED/_HEADER/_PARKED/_RUNNING,
# GOCORE_E2E_COMPARE_FLAGS (compare.py flags; default --relay-stacks),
# GOCORE_E2E_TIMEOUT (seconds per gocore run, default 300).
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
GOCORE=${GOCORE:-build/gocore}
export GOCORE_GO=${GOCORE_GO:-1.19}
export GOCORE_ARCH=${GOCORE_ARCH:-amd64}
if [ "$GOCORE_ARCH" != amd64 ]; then E2E_DIR=${GOCORE_E2E_DIR:-cache/e2e-$GOCORE_ARCH-go$GOCORE_GO}
elif [ "$GOCORE_GO" = 1.19 ]; then E2E_DIR=${GOCORE_E2E_DIR:-cache/e2e}; else E2E_DIR=${GOCORE_E2E_DIR:-cache/e2e-go$GOCORE_GO}; fi
# strip_to IN OUT: strip(1) knows the host's ELF files only; llvm-objcopy
# (clang's) every architecture.
strip_to() {
	if [ "$GOCORE_ARCH" = amd64 ]; then strip -o "$2" "$1"; else llvm-objcopy --strip-all "$1" "$2"; fi
}
export GOCORE_E2E_DIR="$E2E_DIR"
# shellcheck source=tests/lib/runner.sh
. "$ROOT/tests/lib/runner.sh"

testdata_programs "$@"
runner_check_tools

# ---- 1. build and crash everything (cached), in parallel -------------------
t0=$(date +%s)
echo "e2e: building and crashing ${#programs[@]} programs ($JOBS at a time; cached in $E2E_DIR)"
crash_all tests/crash.sh "$E2E_DIR" "${programs[@]}"
t1=$(date +%s)
echo "e2e: build+crash took $((t1 - t0))s"

# ---- 2. the comparison's own self-test ---------------------------------------
# (on Go 1.19's oracles: the mutations it makes are written for that dump)
if [ "$GOCORE_GO" = 1.19 ] && [ "$GOCORE_ARCH" = amd64 ] && [ -s "$E2E_DIR/chans/oracle.txt" ] && [ -s "$E2E_DIR/threads/oracle.txt" ]; then
	if out=$("$PY" tests/compare_selftest.py "$E2E_DIR" 2>&1); then
		pass compare-selftest "$(tail -1 <<<"$out")"
	else
		fail compare-selftest "compare.py misjudges mutated oracles:"
		grep -v '^ok ' <<<"$out" | indent
	fi
fi

spec_value() { # spec_value NAME KEY: the rest of the first "KEY ..." line
	sed -n "s/^[[:space:]]*$2[[:space:]]\{1,\}\([^#]*\).*/\1/p" "testdata/$1/e2e.spec" | head -1 | sed 's/[[:space:]]*$//'
}

# ---- 3. gocore on every core ----------------------------------------------------
for n in "${programs[@]}"; do
	d="$E2E_DIR/$n"
	rc=$(cat "$d/crash.rc" 2>/dev/null || echo 1)
	if [ "$rc" = 77 ]; then # the spec's `go` line leaves this toolchain out
		echo "N/A  $n: $(tail -1 "$d/crash.log" | sed 's/^crash.sh: [^:]*: //')"
		continue
	fi
	if [ "$rc" != 0 ]; then
		fail "$n/crash" "tests/crash.sh $n failed:"
		tail -15 "$d/crash.log" | indent
		continue
	fi
	pass "$n/crash" "$(tail -1 "$d/crash.log" | sed 's/^crash.sh: [^:]*: //')"
	gaps=$(spec_value "$n" gaps)
	ok_rc() { [ "$1" -eq 0 ] || { [ "$1" -eq 3 ] && [ -n "$gaps" ]; }; }

	# goroutines
	s=$(date +%s.%N)
	timeout "$TMO" "$GOCORE" goroutines "$d/core" "$d/exe" >"$d/out.txt" 2>"$d/gocore.err"
	rc=$?
	secs=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
	if ok_rc "$rc"; then
		pass "$n/goroutines" "exit $rc in ${secs}s${gaps:+ (documented gaps: $gaps)}"
	else
		case $rc in
		124) why="timed out after ${TMO}s" ;;
		3) why="exit 3 (success with gaps), but testdata/$n/e2e.spec documents no gaps" ;;
		*) why="exit $rc" ;;
		esac
		fail "$n/goroutines" "gocore goroutines $d/core $d/exe: $why; stderr:"
		if [ -s "$d/gocore.err" ]; then head -10 "$d/gocore.err" | indent; else echo "    (empty)"; fi
	fi

	# compare (also when gocore failed: the numbers say how far off it is)
	if out=$("$PY" tests/compare.py --name "$n" "${THRESHOLDS[@]}" "${EXTRA_FLAGS[@]}" "$d/oracle.txt" "$d/out.txt" 2>&1); then
		pass "$n/compare" "$(head -1 <<<"$out" | sed "s/^$n: //")"
	else
		fail "$n/compare" "$(head -1 <<<"$out" | sed "s/^$n: //")"
		tail -n +2 <<<"$out" | indent
	fi

	# stack GOID == that goroutine's block in the goroutines output
	goid=$(spec_value "$n" stack)
	[ -n "$goid" ] || goid=$("$PY" tests/compare.py --pick-goid "$d/oracle.txt")
	timeout "$TMO" "$GOCORE" stack "$goid" "$d/core" "$d/exe" >"$d/stack.txt" 2>"$d/stack.err"
	rc=$?
	if ! ok_rc "$rc"; then
		fail "$n/stack" "gocore stack $goid: exit $rc; stderr:"
		head -5 "$d/stack.err" | indent
	elif ! "$PY" tests/compare.py --extract "$goid" "$d/out.txt" >"$d/stack.want" 2>"$d/stack.want.err"; then
		fail "$n/stack" "goroutine $goid is not in the goroutines output ($(cat "$d/stack.want.err"))"
	elif diff <(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$d/stack.want") \
		<(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$d/stack.txt") >"$d/stack.diff"; then
		pass "$n/stack" "goroutine $goid"
	else
		fail "$n/stack" "gocore stack $goid differs from its block in the goroutines output (< goroutines, > stack):"
		head -10 "$d/stack.diff" | indent
	fi

	# threads -v: each thread's registers by its architecture's names; the
	# program counter's (rip on amd64, pc elsewhere) is the PC column.
	if timeout "$TMO" "$GOCORE" threads -v "$d/core" "$d/exe" >"$d/threads.txt" 2>"$d/threads.err" &&
		awk 'NR == 2 { want = $4 } NR > 2 && /^    / { for (i = 1; i < NF; i += 2) if ($i == "rip" || $i == "pc") { print ($(i + 1) == want) ? "ok" : "bad " want " " $(i + 1); exit } }' \
			"$d/threads.txt" | grep -qx ok; then
		pass "$n/threads-v" "registers of $(grep -c '^    ' "$d/threads.txt") lines; the first thread's pc register is its PC"
	else
		fail "$n/threads-v" "gocore threads -v: no register line whose pc is the first thread's PC:"
		head -5 "$d/threads.txt" "$d/threads.err" | indent
	fi

	# the same core read through a `strip`ped copy of the executable (no
	# symbols, no DWARF: type descriptors and code instead) prints the same.
	# For a C host with a c-shared library the Go code is the library's:
	# both are stripped, and the library is named with --lib (a copy the
	# core does not record: gocore places it by its Go build ID).
	if [ "${GOCORE_BUILD_VARIANT:-plain}" = plain ]; then
		what="the stripped executable"
		libarg=()
		if [ -f "$d/libgo.so" ]; then
			what="the stripped host and library (--lib)"
			libarg=(--lib "$d/libgo.stripped.so")
		fi
		if ! { strip_to "$d/exe" "$d/exe.stripped" &&
			{ [ ${#libarg[@]} -eq 0 ] || strip_to "$d/libgo.so" "$d/libgo.stripped.so"; }; } 2>"$d/strip.err"; then
			fail "$n/stripped-same" "strip failed: $(head -1 "$d/strip.err")"
		else
			timeout "$TMO" "$GOCORE" goroutines "${libarg[@]}" "$d/core" "$d/exe.stripped" >"$d/out.stripped.txt" 2>"$d/stripped.err"
			rc=$?
			if ! ok_rc "$rc"; then
				fail "$n/stripped-same" "gocore with $what: exit $rc; stderr:"
				head -5 "$d/stripped.err" | indent
			elif diff "$d/out.txt" "$d/out.stripped.txt" >"$d/stripped.diff"; then
				pass "$n/stripped-same" "identical output from $what"
			else
				fail "$n/stripped-same" "output differs with $what (< with symbols, > stripped):"
				head -10 "$d/stripped.diff" | indent
			fi
		fi
	fi

	# stack for a goroutine that does not exist
	timeout "$TMO" "$GOCORE" stack 999999999 "$d/core" "$d/exe" >"$d/nostack.txt" 2>"$d/nostack.err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ -s "$d/nostack.err" ]; then
		pass "$n/stack-none" "exit 2: $(head -1 "$d/nostack.err")"
	else
		fail "$n/stack-none" "gocore stack 999999999: want exit 2 and a message on stderr, got exit $rc$([ -s "$d/nostack.err" ] || echo ', empty stderr')"
	fi
done
t2=$(date +%s)
echo "e2e: build+crash $((t1 - t0))s, checks $((t2 - t1))s, total $((t2 - t0))s"
finish
