# cores.sh — how the tests get a crashed program's core dump, whatever the
# machine's core_pattern says.  Sourced (bash) by tests/crash.sh,
# tests/npm-corpus.sh and bench/run.sh; each defines note() for messages.
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
# core_pattern, then gdb).  Returns 1 for an unknown METHOD.
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
	file | coredumpctl | gdb) CORE_TRIES=("$1") ;;
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
