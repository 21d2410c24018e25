#!/usr/bin/env bash
# leaks.sh [DIR...] — `gocore leaks` and `gocore waits` against the cores
# of testdata/blocked, whose goroutines are leaked or not by construction.
# leaks.sh --selftest — the checks against a fake gocore (canned outputs):
# they pass on right answers and fail on each kind of wrong one.
#
# DIR: a crash directory of testdata/blocked (default cache/e2e/blocked,
# cache/e2e-go1.26/blocked, cache/e2e-go1.27/blocked and those of arm64
# (1.19, 1.26, 1.27), riscv64 and loong64 (1.19, 1.27); tests/e2e.sh blocked
# with GOCORE_GO and GOCORE_ARCH set makes them).  Its stdout.txt holds the
# program's expect-leaked, expect-live and expect-group lines (ids), and
# with Go 1.26/1.27 the runtime's goroutineleak profile.  For each DIR
# (tests/leaks_check.py compares; outputs in DIR/leaks/):
#   leaks-json     `gocore leaks --json core exe` exits 0; its "id"s are
#                  expect-leaked, each once
#   leaks-objects  each of its objects, less "waits_on" (an array), is the
#                  goroutine's object in `gocore goroutines --json`
#   leaks-text     the "goroutine N [" headers of `gocore leaks` are
#                  expect-leaked, each once
#   leaks-blocks   each of its blocks is the goroutine's block in `gocore
#                  goroutines`
#   waits          `gocore waits --json`: every expect-group is the
#                  "goroutines" of one entry (of the kind the group's name
#                  ends with, or "sema"); every expect-leaked and
#                  expect-live id is in some entry
#   holders        `gocore waits --json`: each live goroutine whose object
#                  a global keeps by construction (leaks_check.py's
#                  GLOBAL_ROOTS) is in an entry whose "global", "held_by"
#                  or, through heap objects, "held_by_root" names it
#   profile        (when stdout.txt has the profile) the runtime's leaked
#                  goroutines, less expect-profile-extra (Go 1.26 also
#                  reports goroutine 1 in select {}), are gocore's
#   stripped-same  `gocore leaks --json` with a `strip -o` copy of the exe
#                  (llvm-objcopy --strip-all for another architecture's)
#                  lists the same goroutines
# A check that cannot run fails and says why.  The last line is "N passed,
# M failed"; the exit status is 1 if M > 0.
#
# Environment: GOCORE (default build/gocore), GOCORE_E2E_TIMEOUT (seconds
# per gocore run, default 300), PYTHON (default python3).
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
GOCORE=${GOCORE:-build/gocore}
# shellcheck source=tests/lib/runner.sh
. "$ROOT/tests/lib/runner.sh"
CHECK=("$PY" "$ROOT/tests/leaks_check.py")

# report NAME CHECK ARGS...: one PASS or FAIL line from leaks_check.py
report() {
	local n=$1 out rc
	shift
	out=$("${CHECK[@]}" "$@" 2>&1)
	rc=$?
	case $rc in
	0) pass "$n" "$(head -1 <<<"$out")" ;;
	1) fail "$n" "$(head -1 <<<"$out")"; tail -n +2 <<<"$out" | head -20 | indent ;;
	*) fail "$n" "cannot check: $out" ;;
	esac
}

# run NAME OUT ARGS...: gocore ARGS >OUT (stderr OUT.err); 0 when it exits 0,
# else a FAIL line for NAME saying how it ended
run() {
	local n=$1 o=$2 rc why
	shift 2
	timeout "$TMO" "$GOCORE" "$@" >"$o" 2>"$o.err"
	rc=$?
	[ $rc -eq 0 ] && return 0
	case $rc in
	124) why="timed out after ${TMO}s" ;;
	*) why="exit $rc" ;;
	esac
	fail "$n" "gocore $*: $why; stderr:"
	if [ -s "$o.err" ]; then head -5 "$o.err" | indent; else echo "    (empty)"; fi
	return 1
}

# strip_to IN OUT: strip(1) knows the host's ELF files only; llvm-objcopy
# (clang's) those of other architectures (cores made under qemu-user)
strip_to() {
	strip -o "$2" "$1" 2>/dev/null && return 0
	command -v llvm-objcopy >/dev/null || { strip -o "$2" "$1"; return; }
	llvm-objcopy --strip-all "$1" "$2"
}

check_dir() {
	local d=${1%/} t o so ok_json=0 f
	t=${d#cache/}
	o=$d/leaks
	so=$d/stdout.txt
	for f in stdout.txt core exe; do
		if [ ! -s "$d/$f" ]; then
			fail "$t" "cannot run: no $d/$f (make it with: GOCORE_GO=1.N tests/e2e.sh blocked)"
			return
		fi
	done
	if ! grep -q '^expect-leaked:' "$so"; then
		fail "$t" "cannot run: $so has no expect-leaked line (not testdata/blocked's, or it crashed early)"
		return
	fi
	mkdir -p "$o" || { fail "$t" "cannot run: cannot make $o"; return; }

	if run "$t/leaks-json" "$o/leaks.json" leaks --json "$d/core" "$d/exe"; then
		ok_json=1
		report "$t/leaks-json" leaks-json "$so" "$o/leaks.json"
		if run "$t/leaks-objects" "$o/goroutines.json" goroutines --json "$d/core" "$d/exe"; then
			report "$t/leaks-objects" leaks-objects "$so" "$o/leaks.json" "$o/goroutines.json"
		fi
	else
		fail "$t/leaks-objects" "cannot run: gocore leaks --json failed (see $t/leaks-json)"
	fi

	if run "$t/leaks-text" "$o/leaks.txt" leaks "$d/core" "$d/exe"; then
		report "$t/leaks-text" leaks-text "$so" "$o/leaks.txt"
		if run "$t/leaks-blocks" "$o/goroutines.txt" goroutines "$d/core" "$d/exe"; then
			report "$t/leaks-blocks" leaks-blocks "$so" "$o/leaks.txt" "$o/goroutines.txt"
		fi
	else
		fail "$t/leaks-blocks" "cannot run: gocore leaks failed (see $t/leaks-text)"
	fi

	if run "$t/waits" "$o/waits.json" waits --json "$d/core" "$d/exe"; then
		report "$t/waits" waits "$so" "$o/waits.json"
		report "$t/holders" holders "$so" "$o/waits.json"
	fi

	if "${CHECK[@]}" has-profile "$so" >/dev/null 2>&1; then
		if [ $ok_json = 1 ]; then
			report "$t/profile" profile "$so" "$o/leaks.json"
		else
			fail "$t/profile" "cannot run: gocore leaks --json failed (see $t/leaks-json)"
		fi
	fi

	if ! strip_to "$d/exe" "$o/exe.stripped" 2>"$o/strip.err"; then
		fail "$t/stripped-same" "cannot run: strip failed: $(head -1 "$o/strip.err")"
	elif run "$t/stripped-same" "$o/leaks.stripped.json" leaks --json "$d/core" "$o/exe.stripped"; then
		if [ $ok_json = 1 ]; then
			report "$t/stripped-same" same "$so" "$o/leaks.json" "$o/leaks.stripped.json"
		else
			report "$t/stripped-same" leaks-json "$so" "$o/leaks.stripped.json"
		fi
	fi
}

# ---- the self-test ------------------------------------------------------------
# A fake crash directory (a canned stdout.txt with a profile; core and exe
# are copies of true(1): strip accepts it, nothing reads it) and a fake
# gocore printing the files of $FAKE_OUT: leaks.json, leaks.txt,
# goroutines.json, goroutines.txt, waits.json, and leaks.stripped.json for
# an executable named *.stripped when there is one.  Each case rewrites
# one of them; leaks.sh on the directory must pass on the right answers and
# fail the named check on each wrong one.
selftest() {
	local tmp d fake out rc c want
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/leaks-selftest.XXXXXX") || { fail selftest "cannot make a temporary directory"; finish; }
	# shellcheck disable=SC2064  # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	d=$tmp/blocked
	fake=$tmp/gocore
	mkdir -p "$d" "$tmp/out"
	if ! cp "$(type -P true)" "$d/exe" || ! cp "$d/exe" "$d/core"; then
		fail selftest "cannot copy true(1)"
		finish
	fi
	cat >"$d/stdout.txt" <<-'EOF'
		role 1 live main
		role 5 leaked recvLeaked leaked-chan
		role 6 leaked recvLeaked leaked-chan
		role 7 leaked lockLeaked
		role 8 live lockGlobal live-mutex
		role 9 live lockGlobal live-mutex
		role 10 holder sleepHolder
		expect-leaked: 5 6 7
		expect-live: 1 8 9
		expect-holder: 10
		expect-group leaked-chan: 5 6
		expect-group live-mutex: 8 9
		expect-profile-extra: 1
		--- goroutineleak debug=2 begin
		goroutine 1 gp=0x1 m=nil [select (no cases) (leaked)]:
		main.main()

		goroutine 5 gp=0x5 m=nil [chan receive (leaked)]:
		main.recvLeaked(0x1)

		goroutine 6 gp=0x6 m=nil [chan receive (leaked)]:
		main.recvLeaked(0x1)

		goroutine 7 gp=0x7 m=nil [sync.Mutex.Lock (leaked)]:
		main.lockLeaked(0x2)

		goroutine 8 gp=0x8 m=nil [sync.Mutex.Lock]:
		main.lockGlobal()
		--- goroutineleak debug=2 end
	EOF
	cat >"$fake" <<-'EOF'
		#!/bin/sh
		# fake gocore: leaks|waits|goroutines [--json] CORE EXE
		cmd=$1; shift
		json=; [ "$1" = --json ] && { json=1; shift; }
		exe=$2
		case $cmd in
		leaks | goroutines)
			f=$FAKE_OUT/$cmd.txt
			[ -n "$json" ] && f=$FAKE_OUT/$cmd.json
			case $exe in *.stripped) [ -f "$FAKE_OUT/$cmd.stripped.json" ] && f=$FAKE_OUT/$cmd.stripped.json ;; esac ;;
		waits) f=$FAKE_OUT/waits.json ;;
		*) echo "gocore: unknown command '$cmd'" >&2; exit 1 ;;
		esac
		[ -f "$f" ] || { echo "gocore: no canned $f" >&2; exit 2; }
		cat "$f"
	EOF
	chmod +x "$fake"
	G() { # G ID STATE: one object of goroutines --json
		printf '{"id":%s,"state":"%s","leaked":%s,"frames":[{"func":"main.f%s"}]}' "$1" "$2" \
			"$(case $2 in *leaked*) echo true ;; *) echo false ;; esac)" "$1"
	}
	L() { G "$@" | sed 's/}$/,"waits_on":["0x10"]}/'; }
	T() { printf 'goroutine %s [%s]:\nmain.f%s()\n\n' "$@" "$1"; }
	canned() { # the right answers
		local o=$tmp/out
		rm -f "$o"/*
		printf '[\n%s,\n%s,\n%s\n]\n' "$(L 5 'chan receive (leaked)')" "$(L 6 'chan receive (leaked)')" \
			"$(L 7 'sync.Mutex.Lock (leaked)')" >"$o/leaks.json"
		printf '[\n%s,\n%s,\n%s,\n%s,\n%s,\n%s,\n%s\n]\n' "$(G 1 'select (no cases)')" \
			"$(G 5 'chan receive (leaked)')" "$(G 6 'chan receive (leaked)')" "$(G 7 'sync.Mutex.Lock (leaked)')" \
			"$(G 8 sync.Mutex.Lock)" "$(G 9 sync.Mutex.Lock)" "$(G 10 sleep)" >"$o/goroutines.json"
		{ T 5 'chan receive (leaked)'; T 6 'chan receive (leaked)'; T 7 'sync.Mutex.Lock (leaked)'; } >"$o/leaks.txt"
		{
			T 1 'select (no cases)'; T 5 'chan receive (leaked)'; T 6 'chan receive (leaked)'
			T 7 'sync.Mutex.Lock (leaked)'; T 8 sync.Mutex.Lock; T 9 sync.Mutex.Lock; T 10 sleep
		} >"$o/goroutines.txt"
		cat >"$o/waits.json" <<-'EOF'
			[{"kind":"chan","addr":"0xc000010000","goroutines":[5,6]},
			 {"kind":"mutex","addr":"0xc000020000","goroutines":[7]},
			 {"kind":"mutex","addr":"0x5f0000","global":"main.globalMu","goroutines":[9,8]},
			 {"kind":"select","addr":"0x0","goroutines":[1]},
			 {"kind":"sleep","addr":"0x0","goroutines":[10]}]
		EOF
	}
	# case NAME CHECK-THAT-MUST-FAIL (empty: all pass) EDIT (shell, in $tmp/out)
	cases=(
		"right answers||:"
		"a leaked goroutine missing|leaks-json|sed -i '/\"id\":7/d; 3s/,\$//' leaks.json"
		"a live goroutine reported|leaks-json|sed -i 's/^\\]\$/,$(L 8 sync.Mutex.Lock)\\n]/' leaks.json"
		"a goroutine listed twice|leaks-json|sed -i 's/^\\]\$/,$(L 5 'chan receive (leaked)')\\n]/' leaks.json"
		"no waits_on|leaks-objects|sed -i 's/,\"waits_on\":\\[\"0x10\"\\]//' leaks.json"
		"an object unlike goroutines --json|leaks-objects|sed -i '/\"id\":6/s/main.f6/main.g6/' leaks.json"
		"a header missing from the text|leaks-text|sed -i 's/^goroutine 7 /Goroutine 7 /' leaks.txt"
		"a live goroutine in the text|leaks-text|printf 'goroutine 9 [sync.Mutex.Lock]:\\nmain.f9()\\n' >>leaks.txt"
		"a text block unlike goroutines|leaks-blocks|sed -i 's/^main.f6()/main.f6(0x1)/' leaks.txt"
		"a group split in two|waits|sed -i 's/\"goroutines\":\\[9,8\\]/\"goroutines\":[9]},{\"kind\":\"mutex\",\"addr\":\"0x5f0008\",\"goroutines\":[8]/' waits.json"
		"a group of the wrong kind|waits|sed -i 's/\"kind\":\"chan\"/\"kind\":\"cond\"/' waits.json"
		"a group merged with another|waits|sed -i 's/\"goroutines\":\\[5,6\\]/\"goroutines\":[5,6,7]/' waits.json"
		"a live goroutine in no entry|waits|sed -i '/\"select\"/d' waits.json"
		"the profile's set differs|profile|sed -i 's/^goroutine 7 gp=0x7 m=nil \\[sync.Mutex.Lock (leaked)\\]/goroutine 7 gp=0x7 m=nil [sync.Mutex.Lock]/' ../blocked/stdout.txt"
		"the stripped exe differs|stripped-same|sed '/\"id\":7/d; 3s/,\$//' leaks.json >leaks.stripped.json"
		"gocore fails|leaks-json|rm leaks.json"
		"waits --json is no JSON|waits|echo '[{' >waits.json"
		"a global's object held by nothing|holders|sed -i 's/\"global\":\"main.globalMu\",//' waits.json"
		"a global's object held by another|holders|sed -i 's/main.globalMu/main.reg/' waits.json"
	)
	local stdout_orig
	stdout_orig=$(cat "$d/stdout.txt")
	for c in "${cases[@]}"; do
		local cname=${c%%|*} rest=${c#*|}
		want=${rest%%|*}
		local edit=${rest#*|}
		canned
		printf '%s\n' "$stdout_orig" >"$d/stdout.txt"
		if ! (cd "$tmp/out" && eval "$edit") 2>"$tmp/edit.err"; then
			fail "selftest/$cname" "the case's edit failed: $(head -1 "$tmp/edit.err")"
			continue
		fi
		out=$(FAKE_OUT=$tmp/out GOCORE=$fake "$0" "$d" 2>&1)
		rc=$?
		local fails
		fails=$(sed -n 's/^FAIL \([^ :]*\):.*/\1/p' <<<"$out" | sed 's#.*/##' | sort -u | tr '\n' ' ')
		fails=${fails% }
		if [ -z "$want" ]; then
			if [ $rc -eq 0 ] && [ -z "$fails" ] && tail -1 <<<"$out" | grep -q ' 0 failed$'; then
				pass "selftest/$cname" "$(tail -1 <<<"$out")"
			else
				fail "selftest/$cname" "want every check to pass, got exit $rc:"
				indent <<<"$out"
			fi
		elif [ $rc -eq 1 ] && [[ " $fails " == *" $want "* ]]; then
			pass "selftest/$cname" "exit 1; failed: $fails"
		else
			fail "selftest/$cname" "want exit 1 and a FAIL of $want, got exit $rc, failed: ${fails:-none}:"
			indent <<<"$out"
		fi
	done
	finish
}

if [ "${1:-}" = --selftest ]; then
	[ $# -eq 1 ] || { echo "usage: $0 [--selftest | DIR...]" >&2; exit 2; }
	command -v "$PY" >/dev/null || { fail setup "$PY not found"; finish; }
	selftest
fi
runner_check_tools
command -v strip >/dev/null || fail setup "strip not found (Debian: binutils); the stripped-same checks cannot run"
if [ $# -eq 0 ]; then
	# amd64 under every toolchain, and the other architectures make e2e
	# crashes under qemu (its E2E_ARCHES)
	set -- cache/e2e/blocked cache/e2e-go1.26/blocked cache/e2e-go1.27/blocked \
		cache/e2e-arm64-go1.19/blocked cache/e2e-arm64-go1.26/blocked \
		cache/e2e-arm64-go1.27/blocked cache/e2e-riscv64-go1.19/blocked \
		cache/e2e-riscv64-go1.27/blocked cache/e2e-loong64-go1.19/blocked \
		cache/e2e-loong64-go1.27/blocked
fi
for d in "$@"; do
	check_dir "$d"
done
finish
