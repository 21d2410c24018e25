#!/usr/bin/env bash
# crash.sh NAME — build testdata/NAME, crash it with GOTRACEBACK=crash and
# keep what the end-to-end tests compare against:
#
#   cache/e2e/NAME/exe         the program (go build, or go test -c)
#   cache/e2e/NAME/oracle.txt  its stderr: the Go runtime's own goroutine dump
#   cache/e2e/NAME/core        the core dump of that same crash
#
# How the program is run and what its dump must show is in
# testdata/NAME/e2e.spec (see "spec" below). Everything is cached: the exe
# is rebuilt when a source is newer, the crash re-run when the exe, the spec
# or the core-dump method changed (GOCORE_RECRASH=1 forces it).
#
# Getting the core (GOCORE_CORE_METHOD=auto|file|coredumpctl|gdb, default
# auto): with a file core_pattern (e.g. "core", "core.%p", "/tmp/core.%e.%p")
# the kernel writes it and we pick it up; with a pipe pattern ("|...") we ask
# systemd's coredumpctl; otherwise (or when those yield nothing) we run the
# program under gdb and take the core with gcore at the final SIGABRT. If no
# core can be had we fail loudly: never skip.
#
# Environment: GOCORE_E2E_DIR (default cache/e2e), GOCORE_CORE_METHOD,
# GOCORE_RECRASH=1, GOCORE_CRASH_TIMEOUT (seconds, default 60),
# GOCORE_BUILD_VARIANT: plain (default), stripped (-ldflags='-s -w'), pie
# (-buildmode=pie), nosections (stripped, then the section headers removed
# from the ELF header, as `strip --strip-section-headers` does),
# GOCORE_CORE_PATTERN (pretend core_pattern is this: tests the fallbacks),
# GOCORE_GO: the toolchain that builds the program, 1.19 (default), 1.26 or
# 1.27 (tests/toolchain.sh finds or fetches it).  The exe is rebuilt when
# the toolchain changed.
#
# spec lines (testdata/NAME/e2e.spec; '#' starts a comment):
#   build go|test          go build (default) or go test -c
#   args ARG...            command-line arguments (word-split, no quoting)
#   signal QUIT            wait for "READY <pid>" on stdout, then kill -QUIT
#   gaps REASON            gocore may exit 3 (success with gaps) for this core
#   stack GOID             goroutine e2e.sh checks `gocore stack` with
#   expect MIN ERE         the oracle must have >= MIN lines matching ERE
#                          (headers without Go 1.22's " gp=… m=…")
#   expect@LIST MIN ERE    the same, only when the toolchain is in LIST:
#                          1.19, 1.21+ (and later), -1.20 (and earlier), …
#   go LIST                the toolchains the program is for (it uses newer
#                          APIs); for others crash.sh exits 77 and e2e.sh
#                          reports the program as not applicable
#   env VAR=VALUE          environment of the run (env@LIST: only for LIST)
#   buildenv VAR=VALUE     environment of the build, e.g. a GOEXPERIMENT
#                          (buildenv@LIST: only for LIST)
#   timeout SECONDS        how long the program may run (default 60, or
#                          GOCORE_CRASH_TIMEOUT)
set -u
set -o pipefail

prog=$(basename "$0")
die() { echo "$prog: ${name:-}: $*" >&2; exit 1; }
note() { echo "$prog: $name: $*" >&2; }

[ $# -eq 1 ] || { echo "usage: $prog NAME   (a directory testdata/NAME with an e2e.spec)" >&2; exit 2; }
name=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
src="$ROOT/testdata/$name"
spec="$src/e2e.spec"
[ -d "$src" ] || die "no such program: $src"
[ -f "$spec" ] || die "missing $spec"
base=${GOCORE_E2E_DIR:-$ROOT/cache/e2e}
case $base in /*) ;; *) base="$ROOT/$base" ;; esac
dir="$base/$name"
mkdir -p "$dir" || die "cannot create $dir"
method=${GOCORE_CORE_METHOD:-auto}
case $method in auto|file|coredumpctl|gdb) ;; *) die "GOCORE_CORE_METHOD must be auto, file, coredumpctl or gdb (got '$method')" ;; esac
tmo=${GOCORE_CRASH_TIMEOUT:-60}
gover=${GOCORE_GO:-1.19}

# ---- spec ---------------------------------------------------------------
# applies LIST: does the comma-separated release list (1.19, 1.21+ for that
# release and later, -1.20 for up to it) take in this toolchain ($gover)?
# 0 yes, 1 no, 2 malformed.
applies() {
	local item lo hi me=${gover#1.}
	for item in ${1//,/ }; do
		case $item in
		1.[0-9]*+) lo=${item#1.}; lo=${lo%+}; hi=99 ;;
		-1.[0-9]*) lo=0; hi=${item#-1.} ;;
		1.[0-9]*) lo=${item#1.}; hi=$lo ;;
		*) return 2 ;;
		esac
		[[ $lo =~ ^[0-9]+$ && $hi =~ ^[0-9]+$ ]] || return 2
		[ "$me" -ge "$lo" ] && [ "$me" -le "$hi" ] && return 0
	done
	return 1
}
build=go
args=()
runenv=()
buildenv=()
signal=""
expects=()
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%%#*}
	read -r key rest <<<"$line" || true
	[ -n "${key:-}" ] || continue
	case $key in
	build) build=$rest ;;
	args) read -r -a args <<<"$rest" ;;
	signal) signal=$rest ;;
	timeout) [[ $rest =~ ^[0-9]+$ ]] || die "$spec: timeout needs seconds"; [ -n "${GOCORE_CRASH_TIMEOUT:-}" ] || tmo=$rest ;;
	gaps|stack) ;;   # read by e2e.sh
	expect) expects+=("$rest") ;;
	go)
		applies "$rest" || { [ $? -eq 1 ] && { echo "$prog: $name: not for Go $gover (its spec says: go $rest)" >&2; exit 77; }; die "$spec: bad release list in 'go $rest'"; } ;;
	env) runenv+=("$rest") ;;
	buildenv) buildenv+=("$rest") ;;
	buildenv@*)
		applies "${key#buildenv@}" || { [ $? -eq 1 ] && continue; die "$spec: bad release list in '$key'"; }
		buildenv+=("$rest") ;;
	env@*)
		applies "${key#env@}" || { [ $? -eq 1 ] && continue; die "$spec: bad release list in '$key'"; }
		runenv+=("$rest") ;;
	expect@*)
		applies "${key#expect@}" || { [ $? -eq 1 ] && continue; die "$spec: bad release list in '$key'"; }
		expects+=("$rest") ;;
	*) die "$spec: unknown key '$key'" ;;
	esac
done <"$spec"
case $build in go|test) ;; *) die "$spec: build must be go or test" ;; esac
case $signal in ""|QUIT) ;; *) die "$spec: only 'signal QUIT' is supported" ;; esac

# ---- build --------------------------------------------------------------
exe="$dir/exe"
if [ ! -x "$exe" ] || [ "$(cat "$dir/toolchain" 2>/dev/null)" != "$gover" ] ||
	[ -n "$(find "$src" "$ROOT/testdata/go.mod" \( -name "*.go" -o -name go.mod -o -name e2e.spec \) -newer "$exe" -print -quit)" ]; then
	go=$("$ROOT/tests/toolchain.sh" "$gover") || die "no Go $gover toolchain (see the message above)"
	note "building ($build, $("$go" env GOVERSION))"
	rm -f "$exe"
	bflags=()
	case ${GOCORE_BUILD_VARIANT:-plain} in
	plain) ;;
	stripped | nosections) bflags=(-ldflags=-s\ -w) ;;
	pie) bflags=(-buildmode=pie) ;;
	*) die "GOCORE_BUILD_VARIANT must be plain, stripped, pie or nosections" ;;
	esac
	# Go 1.21+ builds as a module of that release would: a go.work whose go
	# line is the toolchain's own release sets the GODEBUG defaults (1.27:
	# tracebacklabels=1), where testdata/go.mod's "go 1.19" would keep the
	# old ones.  GOTOOLCHAIN=local: never switch to another toolchain.
	genv=(GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off)
	if [ "$gover" != 1.19 ]; then
		printf 'go %s\n\nuse %s\n' "$gover" "$ROOT/testdata" >"$dir/go.work"
		genv=(GOTOOLCHAIN=local GOFLAGS= GOWORK="$dir/go.work")
	fi
	if [ "$build" = test ]; then
		(cd "$ROOT/testdata" && env "${genv[@]}" "${buildenv[@]}" "$go" test -c "${bflags[@]}" -o "$exe" "./$name") || die "go test -c failed"
	else
		(cd "$ROOT/testdata" && env "${genv[@]}" "${buildenv[@]}" "$go" build "${bflags[@]}" -o "$exe" "./$name") || die "go build failed"
	fi
	if [ "${GOCORE_BUILD_VARIANT:-plain}" = nosections ]; then
		# e_shoff (8 bytes at 0x28), e_shnum and e_shstrndx (2 each at 0x3c)
		printf '\0\0\0\0\0\0\0\0' | dd of="$exe" bs=1 seek=40 conv=notrunc status=none &&
			printf '\0\0\0\0' | dd of="$exe" bs=1 seek=60 conv=notrunc status=none ||
			die "cannot remove the section headers of $exe"
	fi
	echo "$gover" >"$dir/toolchain"
fi

# ---- oracle coverage check ----------------------------------------------
# expect lines are written without the " gp=0x… m=N mp=0x…" (or " m=nil")
# that Go 1.22+ puts in every header under GOTRACEBACK=crash.
hdr_norm='s/^(goroutine [0-9]+) gp=0x[0-9a-f]+ m=([0-9]+ mp=0x[0-9a-f]+|nil) \[/\1 [/'
check_oracle() {
	local o="$dir/oracle.txt" e min re n bad=0
	grep -qE '^goroutine [1-9][0-9]* ' "$o" || { note "oracle has no goroutine dump:"; head -20 "$o" >&2; return 1; }
	for e in "${expects[@]}"; do
		min=${e%% *}
		re=${e#* }
		n=$(sed -E "$hdr_norm" "$o" | grep -cE -- "$re")
		if [ "$n" -lt "$min" ]; then
			note "oracle lost coverage: want >= $min lines matching /$re/, found $n"
			bad=1
		fi
	done
	return $bad
}

# ---- cache --------------------------------------------------------------
stamp="$dir/crash.ok"
if [ "${GOCORE_RECRASH:-0}" != 1 ] && [ -f "$stamp" ] && [ -s "$dir/core" ] && [ -s "$dir/oracle.txt" ] &&
	[ ! "$exe" -nt "$stamp" ] && [ ! "$spec" -nt "$stamp" ] &&
	{ [ "$method" = auto ] || [ "$(cat "$stamp")" = "$method" ]; }; then
	check_oracle || die "cached oracle.txt fails its expectations (GOCORE_RECRASH=1 to redo)"
	note "cached (core via $(cat "$stamp"))"
	exit 0
fi
rm -f "$stamp"

# ---- running it ---------------------------------------------------------
pattern=${GOCORE_CORE_PATTERN:-$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo core)}
pid=""
# wait_ready: for 'signal QUIT' programs, wait for READY <pid> and send SIGQUIT.
wait_ready() {
	local i rpid
	for ((i = 0; i < tmo * 20; i++)); do
		rpid=$(sed -n 's/^READY \([0-9][0-9]*\)$/\1/p' "$dir/stdout.txt" 2>/dev/null | head -1)
		if [ -n "$rpid" ]; then
			kill -QUIT "$rpid" 2>/dev/null || { note "cannot send SIGQUIT to $rpid"; return 1; }
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { note "program exited before printing READY"; return 1; }
		sleep 0.05
	done
	note "no READY line within ${tmo}s"
	return 1
}

# wait_pid PID: wait with a timeout; sets rc.
wait_pid() {
	local w
	(
		sleep "$tmo" &
		s=$!
		trap 'kill $s 2>/dev/null; exit 0' TERM
		wait $s && kill -KILL "$1" 2>/dev/null && echo "$prog: $name: killed after ${tmo}s" >&2
	) &
	w=$!
	wait "$1" 2>/dev/null
	rc=$?
	kill -TERM "$w" 2>/dev/null
	wait "$w" 2>/dev/null
	return 0
}

is_core() { # ELF magic and e_type == ET_CORE (4)
	[ -s "$1" ] && [ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = 7f454c46 ] &&
		[ "$(od -An -tx1 -j16 -N2 "$1" | tr -d ' \n')" = 0400 ]
}

# core_glob PID: the kernel's core file name for PID as a glob (core(5)).
core_glob() {
	local p=$1 pat out="" c i n comm
	pat=$pattern
	comm=$(basename "$exe" | cut -c1-15)
	if [[ $pat != *%p* ]] && [ "$(cat /proc/sys/kernel/core_uses_pid 2>/dev/null)" = 1 ]; then
		pat="$pat.%p"
	fi
	n=${#pat}
	for ((i = 0; i < n; i++)); do
		c=${pat:i:1}
		if [ "$c" != % ] || [ $((i + 1)) -ge "$n" ]; then out+=$c; continue; fi
		i=$((i + 1))
		case ${pat:i:1} in
		%) out+=% ;;
		p) out+=$p ;;
		u) out+=$(id -u) ;;
		g) out+=$(id -g) ;;
		s) out+=6 ;;
		e|f) out+=$comm ;;
		h) out+=$(hostname 2>/dev/null || echo '*') ;;
		*) out+='*' ;;   # %P %i %I %t %c %d %E: not known here
		esac
	done
	case $out in /*) echo "$out" ;; *) echo "$dir/$out" ;; esac
}

run_plain() {
	( cd "$dir" && ulimit -c unlimited && exec env GOTRACEBACK=crash "${runenv[@]}" ./exe "${args[@]}" >stdout.txt 2>oracle.txt ) &
	pid=$!
	if [ -n "$signal" ]; then wait_ready || kill -KILL "$pid" 2>/dev/null; fi
	wait_pid "$pid"
	if [ "$rc" -ne 134 ]; then
		note "expected the program to die of SIGABRT (exit 134), got exit $rc; its stderr ends:"
		tail -5 "$dir/oracle.txt" >&2
		return 2   # the program misbehaved: another core method will not help
	fi
}

take_file_core() { # after run_plain: pick up the kernel-written core
	local g f newest=""
	g=$(core_glob "$pid")
	for f in $g; do
		if [ ! -f "$f" ] || [ ! "$f" -nt "$dir/.start" ]; then continue; fi
		if [ -z "$newest" ] || [ "$f" -nt "$newest" ]; then newest=$f; fi
	done
	if [ -z "$newest" ]; then
		note "no core file matching $g (core_pattern '$pattern', hard core limit $(ulimit -Hc))"
		return 1
	fi
	[ "$newest" = "$dir/core" ] || mv -f "$newest" "$dir/core" || return 1
}

take_coredumpctl_core() {
	local i
	command -v coredumpctl >/dev/null || { note "core_pattern pipes to a handler and coredumpctl is not installed"; return 1; }
	for ((i = 0; i < 40; i++)); do # systemd-coredump may need a moment
		if coredumpctl --no-pager -q dump -o "$dir/core" "$pid" >/dev/null 2>&1 && is_core "$dir/core"; then
			return 0
		fi
		sleep 0.25
	done
	note "coredumpctl has no core for pid $pid"
	return 1
}

run_gdb() {
	command -v gdb >/dev/null || { note "gdb is not installed (Debian: gdb)"; return 1; }
	local q=""
	[ ${#args[@]} -gt 0 ] && q=$(printf ' %q' "${args[@]}")
	# The inferior's stdout/stderr are redirected by gdb's startup shell.
	( cd "$dir" && exec env GOTRACEBACK=crash "${runenv[@]}" gdb -batch -nx \
		-ex 'set pagination off' -ex 'set confirm off' \
		-ex 'handle SIGURG nostop noprint pass' -ex 'handle SIGPIPE nostop noprint pass' \
		-ex 'handle SIGSEGV nostop noprint pass' -ex 'handle SIGQUIT nostop noprint pass' \
		-ex 'handle SIGPROF nostop noprint pass' -ex 'handle SIGCHLD nostop noprint pass' \
		-ex 'handle SIGABRT stop print' \
		-ex "run$q >stdout.txt 2>oracle.txt" -x "$ROOT/tests/gdb_final_abort.py" \
		-ex 'printf "gocore-stop-signal %d\n", $_siginfo.si_signo' \
		-ex 'gcore core' ./exe >gdb.log 2>&1 ) &
	pid=$!
	if [ -n "$signal" ]; then wait_ready || kill -KILL "$pid" 2>/dev/null; fi
	wait_pid "$pid"
	if ! grep -q '^gocore-stop-signal 6$' "$dir/gdb.log"; then
		note "under gdb the program did not stop at SIGABRT; gdb said:"
		grep -E 'Inferior|signal|denied|ptrace|rror|No such' "$dir/gdb.log" | grep -v '^handle' | tail -6 >&2
		return 1
	fi
	grep -q 'Saved corefile' "$dir/gdb.log" || { note "gcore failed:"; tail -5 "$dir/gdb.log" >&2; return 1; }
	# gcore writes every page, zeros included (~700 MB for a small Go
	# program); punch holes so the cache stays small.
	if command -v fallocate >/dev/null; then fallocate -d "$dir/core" 2>/dev/null || true; fi
}

attempt() { # attempt METHOD: one crash run that leaves $dir/core
	local m=$1
	rm -f "$dir/core" "$dir"/core.* "$dir/oracle.txt" "$dir/stdout.txt" "$dir/gdb.log"
	touch "$dir/.start"
	sleep 0.01
	case $m in
	file) run_plain && take_file_core ;;
	coredumpctl) run_plain && take_coredumpctl_core ;;
	gdb) run_gdb ;;
	esac || return $?
	is_core "$dir/core" || { note "$dir/core is not an ELF core file"; return 1; }
	used=$m
}

case $method in
auto)
	if [[ $pattern == \|* ]]; then first="coredumpctl"; else first="file"; fi
	if ! (ulimit -c unlimited) 2>/dev/null && [ $first = file ]; then
		note "cannot raise the core size limit (ulimit -c $(ulimit -Hc)); using gdb"
		first=gdb
	fi
	tries=("$first")
	[ "$first" = gdb ] || tries+=(gdb)
	;;
*) tries=("$method") ;;
esac

used=""
tried=()
for m in "${tries[@]}"; do
	tried+=("$m")
	attempt "$m"
	r=$?
	[ $r -eq 0 ] && break
	[ $r -eq 2 ] && break
	[ "$m" = gdb ] || [ ${#tries[@]} -eq 1 ] || note "method '$m' gave no core; trying gdb"
done
rm -f "$dir/.start"
[ -n "$used" ] || die "could not obtain a core dump (tried: ${tried[*]}; core_pattern '$pattern'); see $dir"
check_oracle || die "the oracle ($dir/oracle.txt) does not show what $spec expects"
echo "$used" >"$stamp"
note "crashed: core via $used ($(du -h "$dir/core" | cut -f1)), $(grep -cE '^goroutine [1-9]' "$dir/oracle.txt") goroutine blocks in oracle"
