# cores.sh — how the tests get a crashed program's core dump, whatever the
# machine's core_pattern says.  Sourced (bash) by tests/crash.sh,
# tests/npm-corpus.sh, tests/kernel-core.sh and bench/run.sh.  bench/run.sh
# defines note() for messages; the two crash scripts get it from
# crash_init, one of the
# functions at the end that only they use (their common start, cache check,
# crash run and end).
#
# With a file core_pattern ("core", "core.%p", "/tmp/core.%e.%p") the kernel
# writes the core and core_take_file picks it up; with a pipe pattern
# ("|...") systemd's coredumpctl has it; otherwise (or when those yield
# nothing) the program runs under gdb and gcore takes the core at the
# runtime's final SIGABRT.  core_methods orders these.

# core_is_core FILE: ELF magic and e_type == ET_CORE (4).
core_is_core() {
	[ -s "$1" ] && [ "$(od -An -tx1 -N4 "$1" | tr -d ' \n')" = 7f454c46 ] &&
		[ "$(od -An -tx1 -j16 -N2 "$1" | tr -d ' \n')" = 0400 ]
}

# core_pattern: the kernel's core_pattern (GOCORE_CORE_PATTERN pretends
# another, to test the fallbacks).
core_pattern() {
	echo "${GOCORE_CORE_PATTERN:-$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo core)}"
}

# core_glob PATTERN PID COMM CWD: the name the kernel gives the core of PID
# (core(5)), as a glob; COMM is the program's name (first 15 bytes used),
# CWD its working directory (where a relative name lands).  PID may be '*'.
core_glob() {
	local pat=$1 p=$2 comm out="" c i n
	comm=$(printf '%s' "$3" | cut -c1-15)
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
		e | f) out+=$comm ;;
		h) out+=$(hostname 2>/dev/null || echo '*') ;;
		*) out+='*' ;; # %P %i %I %t %c %d %E: not known here
		esac
	done
	case $out in /*) echo "$out" ;; *) echo "$4/$out" ;; esac
}

# core_take_file GLOB SINCE DEST: moves the newest file matching GLOB that is
# newer than the file SINCE to DEST.
core_take_file() {
	local f newest=""
	for f in $1; do
		if [ ! -f "$f" ] || [ ! "$f" -nt "$2" ]; then continue; fi
		if [ -z "$newest" ] || [ "$f" -nt "$newest" ]; then newest=$f; fi
	done
	if [ -z "$newest" ]; then
		note "no core file matching $1 (core_pattern '$(core_pattern)', hard core limit $(ulimit -Hc))"
		return 1
	fi
	[ "$newest" = "$3" ] || mv -f "$newest" "$3"
}

# core_take_qemu DIR SINCE DEST HOSTGLOB: the guest's core that qemu-user
# wrote into its working directory DIR (qemu_PROG_DATE-TIME_PID.core, the
# newest newer than the file SINCE) moved to DEST.  qemu 7.2 then also
# dies of the signal itself, and the kernel dumps the x86-64 qemu process
# as core_pattern says: files matching HOSTGLOB that are such cores are
# removed first (DEST may be one of them).  Punches holes in the core.
core_take_qemu() {
	local f newest=""
	for f in $4; do
		if [ -f "$f" ] && core_is_core "$f" && [ "$(od -An -tx1 -j18 -N2 "$f" | tr -d ' \n')" = 3e00 ]; then
			rm -f "$f"
		fi
	done
	for f in "$1"/qemu_*.core; do
		if [ ! -f "$f" ] || [ ! "$f" -nt "$2" ]; then continue; fi
		if [ -z "$newest" ] || [ "$f" -nt "$newest" ]; then newest=$f; fi
	done
	if [ -z "$newest" ]; then
		note "qemu-user wrote no core (no $1/qemu_*.core; core size limit $(ulimit -c))"
		return 1
	fi
	mv -f "$newest" "$3" || return 1
	# qemu writes every page, zeros included
	if command -v fallocate >/dev/null; then fallocate -d "$3" 2>/dev/null || true; fi
}

# core_take_coredumpctl PID DEST: the core systemd-coredump kept for PID.
core_take_coredumpctl() {
	local i
	command -v coredumpctl >/dev/null || { note "core_pattern pipes to a handler and coredumpctl is not installed"; return 1; }
	for ((i = 0; i < 40; i++)); do # systemd-coredump may need a moment
		if coredumpctl --no-pager -q dump -o "$2" "$1" >/dev/null 2>&1 && core_is_core "$2"; then
			return 0
		fi
		sleep 0.25
	done
	note "coredumpctl has no core for pid $1"
	return 1
}

# gdb arguments for a Go program run under gdb: the runtime's own signals
# pass through, and gdb stops at the SIGABRT that ends a GOTRACEBACK=crash
# dump.  CORE_GDB_TAIL, after `run`, continues past SIGABRTs the process
# still catches (abort() in C, a SIGABRT sent to it: the runtime handles
# those, tests/gdb_final_abort.py), then prints the stop signal and takes
# the core.
CORE_GDB_HEAD=(-batch -nx -ex 'set pagination off' -ex 'set confirm off'
	-ex 'handle SIGURG nostop noprint pass' -ex 'handle SIGPIPE nostop noprint pass'
	-ex 'handle SIGSEGV nostop noprint pass' -ex 'handle SIGQUIT nostop noprint pass'
	-ex 'handle SIGPROF nostop noprint pass' -ex 'handle SIGCHLD nostop noprint pass'
	-ex 'handle SIGABRT stop print')
CORE_GDB_TAIL=(-x "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/gdb_final_abort.py"
	-ex 'printf "gocore-stop-signal %d\n", $_siginfo.si_signo' -ex 'gcore core')

# core_gdb_check DIR: after a gdb run in DIR (log DIR/gdb.log, core DIR/core):
# did it stop at SIGABRT and save the core?  Punches holes in the core
# (gcore writes every page, zeros included).
core_gdb_check() {
	if ! grep -q '^gocore-stop-signal 6$' "$1/gdb.log"; then
		note "under gdb the program did not stop at SIGABRT; gdb said:"
		grep -E 'Inferior|signal|denied|ptrace|rror|No such' "$1/gdb.log" | grep -v '^handle' | tail -6 >&2
		return 1
	fi
	grep -q 'Saved corefile' "$1/gdb.log" || { note "gcore failed:"; tail -5 "$1/gdb.log" >&2; return 1; }
	if command -v fallocate >/dev/null; then fallocate -d "$1/core" 2>/dev/null || true; fi
}

# core_methods METHOD: sets CORE_TRIES, the ways to try in order, for
# METHOD auto|file|coredumpctl|gdb (auto: the kernel's way for this
# core_pattern, then gdb), or qemu (the program runs under qemu-user,
# which writes the guest's core: crash.sh with GOCORE_ARCH).  Returns 1
# for an unknown METHOD.
core_methods() {
	local first pattern
	case $1 in
	auto)
		pattern=$(core_pattern)
		if [[ $pattern == \|* ]]; then first=coredumpctl; else first=file; fi
		if ! (ulimit -c unlimited) 2>/dev/null && [ $first = file ]; then
			note "cannot raise the core size limit (ulimit -c $(ulimit -Hc)); using gdb"
			first=gdb
		fi
		CORE_TRIES=("$first")
		[ "$first" = gdb ] || CORE_TRIES+=(gdb)
		;;
	file | coredumpctl | gdb | qemu) CORE_TRIES=("$1") ;;
	*) return 1 ;;
	esac
}

# core_try METHOD: runs the caller's `attempt WAY` for each way of
# core_methods METHOD in turn, until one leaves a core (status 0) or the
# program itself misbehaved (status 2: another way will not help).  Sets
# CORE_USED (the way that worked, "" if none) and CORE_TRIED.
core_try() {
	local m r
	CORE_USED=""
	CORE_TRIED=()
	core_methods "$1" || return 1
	for m in "${CORE_TRIES[@]}"; do
		CORE_TRIED+=("$m")
		attempt "$m"
		r=$?
		if [ $r -eq 0 ]; then
			CORE_USED=$m
			return 0
		fi
		[ $r -eq 2 ] && return 1
		[ "$m" = gdb ] || [ ${#CORE_TRIES[@]} -eq 1 ] || note "method '$m' gave no core; trying gdb"
	done
	return 1
}

# ---- the start and the end of a crash script (crash.sh, npm-corpus.sh) ----

# crash_init USAGE ARG...: prog (the script's name), die and note (messages
# naming the script and the entry), name (the one ARG; otherwise "usage:
# PROG USAGE" and exit 2) and ROOT (the top of the tree).
crash_init() {
	prog=$(basename "$0")
	die() { echo "$prog: ${name:-}: $*" >&2; exit 1; }
	note() { echo "$prog: $name: $*" >&2; }
	[ $# -eq 2 ] || { echo "usage: $prog $1" >&2; exit 2; }
	name=$2
	ROOT=$(cd "$(dirname "$0")/.." && pwd)
}

# crash_dir BASE: dir, the entry's cache directory BASE/NAME (BASE relative
# to ROOT unless absolute), created; method, GOCORE_CORE_METHOD (default
# auto), checked; tmo, GOCORE_CRASH_TIMEOUT (default 60).
crash_dir() {
	local base=$1
	case $base in /*) ;; *) base="$ROOT/$base" ;; esac
	dir="$base/$name"
	mkdir -p "$dir" || die "cannot create $dir"
	method=${GOCORE_CORE_METHOD:-auto}
	case $method in auto|file|coredumpctl|gdb) ;; *) die "GOCORE_CORE_METHOD must be auto, file, coredumpctl or gdb (got '$method')" ;; esac
	tmo=${GOCORE_CRASH_TIMEOUT:-60}
}

# crash_cache_good LINE2 FILE...: is the crash cached in $dir still good?
# Not with GOCORE_RECRASH=1, nor when crash.ok, core or oracle.txt is
# missing, a FILE is newer than crash.ok, crash.ok's second line is not
# LINE2 (what was crashed; "" for a one-line crash.ok), or
# GOCORE_CORE_METHOD (unless auto) names another way than crash.ok's first
# line (the way the core came).
crash_cache_good() {
	local stamp="$dir/crash.ok" want=$1 f
	shift
	[ "${GOCORE_RECRASH:-0}" != 1 ] && [ -f "$stamp" ] && [ -s "$dir/core" ] && [ -s "$dir/oracle.txt" ] || return 1
	for f in "$@"; do
		[ ! "$f" -nt "$stamp" ] || return 1
	done
	[ "$(sed -n 2p "$stamp")" = "$want" ] &&
		{ [ "$method" = auto ] || [ "$(head -1 "$stamp")" = "$method" ]; }
}

# crash_use_cache FAILS LINE2 FILE...: when the cached crash is still good
# (crash_cache_good LINE2 FILE...), checks its oracle with the caller's
# check_oracle (dying with "cached oracle.txt fails FAILS" when it fails),
# says so with the caller's cached_note (given the way the core came) and
# exits 0; otherwise removes crash.ok.
crash_use_cache() {
	local fails=$1
	shift
	if crash_cache_good "$@"; then
		check_oracle || die "cached oracle.txt fails $fails (GOCORE_RECRASH=1 to redo)"
		cached_note "$(head -1 "$dir/crash.ok")"
		exit 0
	fi
	rm -f "$dir/crash.ok"
}

# crash_run_way WAY PIDVAR WORKDIR: one crash run the way WAY, in the
# caller's run_plain (file, coredumpctl, qemu) or run_gdb (gdb), which
# leave the core in WORKDIR/core (gdb) or let the kernel (or qemu-user)
# write it: then it is taken to WORKDIR/core, the file named for the pid in
# the variable PIDVAR (set by run_plain), newer than WORKDIR/.start,
# systemd's, or qemu's guest core.  Reads $pattern (the core_pattern),
# $exe, and for qemu $qemu (the emulator run_plain ran).
crash_run_way() {
	touch "$3/.start"
	sleep 0.01
	case $1 in
	file) run_plain && core_take_file "$(core_glob "$pattern" "${!2}" "$(basename "$exe")" "$3")" "$3/.start" "$3/core" ;;
	coredumpctl) run_plain && core_take_coredumpctl "${!2}" "$3/core" ;;
	qemu) run_plain && core_take_qemu "$3" "$3/.start" "$3/core" "$(core_glob "$pattern" "${!2}" "$(basename "$qemu")" "$3")" ;;
	gdb) run_gdb ;;
	esac
}

# crash_take_core PATTERN CMD...: core_try $method (the caller's attempt()
# does the runs), then CMD (the caller's clean-up); dies unless a way gave
# a core (PATTERN: the core_pattern, for the message).  Sets used, that way.
crash_take_core() {
	local pat=$1
	shift
	core_try "$method"
	used=$CORE_USED
	"$@"
	[ -n "$used" ] || die "could not obtain a core dump (tried: ${CORE_TRIED[*]}; core_pattern '$pat'); see $dir"
}

# ---- the oracle's coverage ---------------------------------------------------
# oracle_covers FILE: FILE holds a goroutine dump, and every line of the
# caller's expects array ("MIN REGEX", a spec's `expect` lines) matches at
# least MIN of its lines.  The expect lines are written without the
# " gp=0x… m=N mp=0x…" (or " m=nil") that Go 1.22+ puts in every header
# under GOTRACEBACK=crash.  Says what is missing through the caller's note.
oracle_covers() {
	local o=$1 e min re n bad=0
	local norm='s/^(goroutine [0-9]+) gp=0x[0-9a-f]+ m=([0-9]+ mp=0x[0-9a-f]+|nil) \[/\1 [/'
	grep -qE '^goroutine [1-9][0-9]* ' "$o" || { note "oracle has no goroutine dump:"; head -20 "$o" >&2; return 1; }
	for e in "${expects[@]}"; do
		min=${e%% *}
		re=${e#* }
		n=$(sed -E "$norm" "$o" | grep -cE -- "$re")
		if [ "$n" -lt "$min" ]; then
			note "oracle lost coverage: want >= $min lines matching /$re/, found $n"
			bad=1
		fi
	done
	return $bad
}

# ---- the spec's release lists ------------------------------------------------
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
