#!/usr/bin/env bash
# npm-corpus.sh NAME — fetch a real, stripped, third-party Go binary from the
# npm registry, bring it into a waiting state, make it dump its goroutines
# with GOTRACEBACK=crash + SIGQUIT, and keep what the end-to-end tests
# compare against:
#
#   cache/npm/NAME/package.tgz  the npm tarball (`npm pack SPEC`; pack.json
#                               has its integrity hash as npm reported it)
#   cache/npm/NAME/exe          the binary, extracted from the tarball
#   cache/npm/NAME/oracle.txt   its stderr: the Go runtime's own goroutine dump
#   cache/npm/NAME/core         the core dump of that same crash
#   cache/npm/NAME/info.txt     spec, Go version, core method, goroutine states
#
# NAME is a line of tests/npm-corpus.list (NAME SPEC GO-VERSION BIN RUN-MODE
# [ARCH]), or of the list GOCORE_NPM_LIST names (tests/npm-holdout.list,
# tests/npm-arch.list).
# The Go version that tests/go_version.py finds in the binary must be the
# list's, its ELF machine the ARCH's, and the oracle must hold a SIGQUIT
# goroutine dump with the goroutines the run mode implies: otherwise this
# fails loudly.
#
# ARCH (optional, default amd64) is the binary's GOARCH: amd64 runs on the
# machine itself; arm64, riscv64 and loong64 run under qemu-user (the
# emulator tests/qemu.sh ARCH prints, fetched if need be), as tests/crash.sh
# runs its GOCORE_ARCH programs: the signal goes to qemu's pid, which is the
# guest's, and qemu forwards it; qemu writes the guest's core
# (qemu_*.core in the working directory, taken as core; the x86-64 core
# qemu 7.2 also leaves of itself is removed), whatever core_pattern says,
# so GOCORE_CORE_METHOD must be auto or qemu.  The lines qemu adds to the
# guest's stderr ("qemu: uncaught target signal ...") are moved from
# oracle.txt to qemu.txt.  Such cores have no NT_FILE: give gocore the
# exe (npm-e2e.sh does).  crash.ok's second line then ends with the
# emulator's `--version` (another emulator crashes again).
#
# Everything is cached: the tarball is fetched again only when the spec
# changed, the crash re-run when the exe, the list line, this script or the
# core-dump method changed (GOCORE_RECRASH=1 forces it). The only network
# use is `npm pack` (with a throw-away npm cache, so a cold run really
# fetches). Servers listen on 127.0.0.1 only.
#
# Run modes (the program runs in a fresh temporary directory, stdin an open
# FIFO, ulimit -c unlimited, GOTRACEBACK=crash):
#   esbuild-serve  exe in.js --outdir=out --serve=127.0.0.1:0
#                  ready: stderr names http://127.0.0.1:PORT/ and the process
#                  listens on PORT (/proc/PID/net/tcp)
#   lefthook-run   git init; lefthook.yml: pre-commit job `sleep 300`;
#                  exe run pre-commit --force --no-auto-install --no-tty --colors off
#                  (--no-auto-install only if `exe run --help` lists it,
#                  --no-colors instead of --colors off where that is the
#                  flag: lefthook 1.5; HOME and GIT_CEILING_DIRECTORIES are
#                  the temp directory)
#                  ready: a descendant process `sleep 300` exists
#   turbo-run      git init; an npm workspace (package.json, package-lock.json,
#                  turbo.json) with one package whose script `wait` is
#                  `sleep 300`; exe run wait --no-color (+ --no-daemon when
#                  `exe run --help` lists it: turbo >= 1.4 would otherwise
#                  start a detached daemon); HOME etc. are the temp directory
#                  ready: a descendant process `sleep 300` exists
#                  turbo catches SIGQUIT itself (graceful exit), so this mode
#                  sends SIGABRT instead (same dump, headed "SIGABRT: abort";
#                  under gdb, which stops at that SIGABRT first, `continue`
#                  once). Known artifact: Go 1.18 relays the crash to the
#                  other threads with SIGQUIT, which turbo's signal.Notify
#                  swallows: that wakes its signal goroutines after the dump
#                  was printed, so the core differs from the oracle there,
#                  and the crash takes the runtime's 5 s relay timeout.
#   buf-studio     exe beta studio-agent --bind 127.0.0.1 --port 0 --timeout 0
#                  ready: one of the process's own sockets (matched by inode
#                  in /proc/PID/fd and /proc/PID/net/tcp) listens on 127.0.0.1
#   tsgo-lsp       exe --lsp --stdio        (a language server on stdin;
#                  tsgo reads its lib*.d.ts from its own directory, so these
#                  are extracted next to cache/.../NAME/exe too)
#   buf-lsp        exe lsp serve --timeout 0 (a language server on stdin)
#                  ready: a thread is blocked in read(0, ...) (/proc/PID/task/
#                  */syscall starts with "0 0x0 ")
# then, for every mode, "parked": all of the process's threads are sleeping
# (state S in /proc/PID/task/*/stat) in 5 samples in a row, 0.1s apart (at
# most GOCORE_SETTLE_TIMEOUT seconds, default 10; past that it goes on with
# a warning). Then SIGQUIT (turbo-run: SIGABRT); the runtime dumps and dies
# of SIGABRT. Leftover processes (lefthook's and turbo's sleep, npm) are
# killed.
#
# Getting the core (GOCORE_CORE_METHOD=auto|file|coredumpctl|gdb, default
# auto) works as in tests/crash.sh: a file core_pattern, systemd's
# coredumpctl for a pipe pattern, else gdb + gcore: tests/lib/cores.sh, the
# same as crash.sh.
#
# Environment: GOCORE_NPM_LIST (default tests/npm-corpus.list; e.g.
# tests/npm-holdout.list), GOCORE_NPM_DIR (default cache/npm for
# npm-corpus.list, else cache/BASENAME-OF-THE-LIST, e.g. cache/npm-holdout),
# GOCORE_NPM_FETCH_ONLY=1 (fetch, extract and check the Go version and the
# ELF machine, then stop: no crash run),
# GOCORE_CORE_METHOD, GOCORE_RECRASH=1,
# GOCORE_CRASH_TIMEOUT (seconds for getting ready and for dying, default 60),
# GOCORE_NPM_TIMEOUT (seconds for npm pack, default 300),
# GOCORE_SETTLE_TIMEOUT, GOCORE_NPM_MIN_GOROUTINES (default 3),
# GOCORE_CORE_PATTERN (pretend core_pattern is this), GOCORE_KEEP_WORK=1
# (keep the temporary directory; its path is printed).
set -u
set -o pipefail

# shellcheck source=tests/lib/cores.sh
. "$(dirname "$0")/lib/cores.sh"
crash_init "NAME   (a line of tests/npm-corpus.list)" "$@"
LIST=${GOCORE_NPM_LIST:-$ROOT/tests/npm-corpus.list}
SELF="$ROOT/tests/$prog"
PY=${PYTHON:-python3}
[ -f "$LIST" ] || die "no list file $LIST"
entry=$(awk -v n="$name" '$1 == n && $1 !~ /^#/ { $1 = $1; print; exit }' "$LIST")
[ -n "$entry" ] || die "not in $LIST"
read -r _ spec gover binpath mode arch extra <<<"$entry"
[ -n "${mode:-}" ] && [ -z "${extra:-}" ] || die "$LIST: want 'NAME SPEC GO-VERSION BIN RUN-MODE [ARCH]', got: $entry"
case $mode in esbuild-serve|lefthook-run|turbo-run|buf-studio|tsgo-lsp|buf-lsp) ;; *) die "$LIST: unknown run mode '$mode'" ;; esac
[[ $gover =~ ^go1\.[0-9]+ ]] || die "$LIST: '$gover' is not a Go version"
# ARCH: the binary's GOARCH and its ELF e_machine; all but amd64 run under
# qemu-user, which writes the guest's core itself
arch=${arch:-amd64}
case $arch in
amd64) emachine=62 qemu_run=0 ;;
arm64) emachine=183 qemu_run=1 ;;
riscv64) emachine=243 qemu_run=1 ;;
loong64) emachine=258 qemu_run=1 ;;
*) die "$LIST: unknown architecture '$arch' (amd64, arm64, riscv64 or loong64)" ;;
esac
if [ $qemu_run = 1 ]; then
	case ${GOCORE_CORE_METHOD:-auto} in
	auto | qemu) GOCORE_CORE_METHOD=auto ;;
	*) die "$arch: the core comes from qemu-user; GOCORE_CORE_METHOD must be auto or qemu" ;;
	esac
fi
# The signal that makes the runtime dump: SIGQUIT, except for turbo, which
# catches SIGQUIT (and SIGINT/SIGTERM) itself and exits cleanly; SIGABRT
# gives the same GOTRACEBACK=crash dump headed "SIGABRT: abort".
case $mode in turbo-run) qsig=ABRT qline='SIGABRT: abort' ;; *) qsig=QUIT qline='SIGQUIT: quit' ;; esac

listbase=$(basename "$LIST" .list)
[ "$listbase" = npm-corpus ] && listbase=npm
crash_dir "${GOCORE_NPM_DIR:-$ROOT/cache/$listbase}"
[ $qemu_run = 1 ] && method=qemu
settle_tmo=${GOCORE_SETTLE_TIMEOUT:-10}
min_g=${GOCORE_NPM_MIN_GOROUTINES:-3}

# ---- fetch --------------------------------------------------------------
tgz="$dir/package.tgz"
exe="$dir/exe"
if [ ! -s "$tgz" ] || [ "$(cat "$dir/spec" 2>/dev/null)" != "$spec" ]; then
	command -v npm >/dev/null || die "npm is not installed (Debian: npm)"
	rm -f "$tgz" "$dir/spec" "$dir/pack.json" "$exe"
	tmp=$(mktemp -d "$dir/.pack.XXXXXX") || die "mktemp failed"
	note "npm pack $spec"
	if ! (cd "$tmp" && timeout "${GOCORE_NPM_TIMEOUT:-300}" npm pack --json --cache "$tmp/npm-cache" \
		--pack-destination "$tmp" "$spec" >"$tmp/pack.json" 2>"$tmp/pack.err"); then
		grep -v 'Unknown user config' "$tmp/pack.err" | tail -5 >&2
		rm -rf "$tmp"
		die "npm pack $spec failed"
	fi
	shopt -s nullglob
	got=("$tmp"/*.tgz)
	shopt -u nullglob
	[ ${#got[@]} -eq 1 ] || { rm -rf "$tmp"; die "npm pack $spec left ${#got[@]} tarballs"; }
	mv -f "${got[0]}" "$tgz" && mv -f "$tmp/pack.json" "$dir/pack.json" || { rm -rf "$tmp"; die "cannot store $tgz"; }
	rm -rf "$tmp"
	echo "$spec" >"$dir/spec"
fi
if [ ! -s "$exe" ] || [ "$tgz" -nt "$exe" ]; then
	rm -f "$exe" "$exe.tmp"
	tar -xzOf "$tgz" "$binpath" >"$exe.tmp" 2>"$dir/tar.err" && [ -s "$exe.tmp" ] ||
		{ cat "$dir/tar.err" >&2; rm -f "$exe.tmp"; die "$tgz has no $binpath"; }
	chmod 755 "$exe.tmp" && mv -f "$exe.tmp" "$exe" || die "cannot write $exe"
	rm -f "$dir/tar.err"
	if [ "$mode" = tsgo-lsp ]; then
		# tsgo reads its lib*.d.ts from its own directory: put them next to exe
		libdir=$(dirname "$binpath")
		tar -xzf "$tgz" -C "$dir" --strip-components="$(awk -F/ '{ print NF }' <<<"$libdir")" \
			--wildcards "$libdir/*.d.ts" || die "cannot extract $libdir/*.d.ts from $tgz"
	fi
fi

# ---- Go version ---------------------------------------------------------
gv=$("$PY" "$ROOT/tests/go_version.py" "$exe") || die "cannot tell which Go release built $exe"
read -r found how syms <<<"$gv"
[ "$found" = "$gover" ] || die "$LIST says $gover, but $exe was built with $found (from its $how)"
[ "$syms" = stripped ] || note "warning: $exe is not stripped ($syms)"
em=$(od -An -tu2 -j18 -N2 "$exe" | tr -d ' ')
[ "$em" = "$emachine" ] || die "$LIST says $arch (ELF machine $emachine), but $exe is for ELF machine ${em:-?}"
if [ "${GOCORE_NPM_FETCH_ONLY:-0}" = 1 ]; then
	note "fetched: $found ($how, $syms), $arch"
	exit 0
fi
# the emulator that runs it (nothing for amd64), and its --version, which
# crash.ok records
runner=()
qemu=""
ran=""
if [ $qemu_run = 1 ]; then
	qemu=$("$ROOT/tests/qemu.sh" "$arch") || die "no qemu-user for $arch (see the message above)"
	ran=$("$qemu" --version 2>/dev/null | head -1)
	[ -n "$ran" ] || die "$qemu --version failed"
	runner=("$qemu")
fi

# ---- oracle check -------------------------------------------------------
HDR='^goroutine [1-9][0-9]*( gp=[^ ]+ m=[^ ]+( mp=[^ ]+)?)? \['
check_oracle() {
	local o="$dir/oracle.txt" n parked bad=0 want re min
	grep -q "^$qline" "$o" || { note "oracle has no '$qline' line:"; head -10 "$o" >&2; return 1; }
	n=$(grep -cE "$HDR" "$o")
	if [ "$n" -lt "$min_g" ]; then
		note "oracle has $n goroutine blocks, want >= $min_g:"
		head -20 "$o" >&2
		return 1
	fi
	parked=$(grep -E "$HDR" "$o" | grep -cvE '\[running')
	[ "$parked" -gt 0 ] || { note "oracle has no parked goroutine"; bad=1; }
	case $mode in
	esbuild-serve) want=("1 ${HDR}IO wait" "1 ^net\.\(\*TCPListener\)\.Accept") ;;
	# os/exec: Cmd.Wait, or (lefthook 1.10, which waits in its own
	# code) Cmd.watchCtx
	lefthook-run|turbo-run) want=("1 ${HDR}syscall" "1 ^os/exec\.\(\*Cmd\)\.(Wait|watchCtx)\(") ;;
	buf-studio) want=("1 ${HDR}IO wait" "1 ^net\.\(\*TCPListener\)\.Accept") ;;
	tsgo-lsp|buf-lsp) want=("1 ${HDR}syscall" "1 ^os\.\(\*File\)\.Read\(") ;;
	esac
	for re in "${want[@]}"; do
		min=${re%% *}
		re=${re#* }
		n=$(grep -cE -- "$re" "$o")
		[ "$n" -ge "$min" ] || { note "oracle lacks what $mode implies: want >= $min lines matching /$re/, found $n"; bad=1; }
	done
	return $bad
}
states() { # "N goroutines: 3 IO wait, 2 running, ..." (first block per goid)
	grep -E "$HDR" "$dir/oracle.txt" | sed -E 's/^goroutine ([0-9]+)[^[]*\[([^],]*).*/\1 \2/' |
		awk '!seen[$1]++ { $1 = ""; sub(/^ /, ""); print }' | sort | uniq -c |
		awk '{ n = $1; $1 = ""; t += n; s = s (s ? ", " : "") n $0 } END { print t + 0 " goroutines: " s }'
}

# ---- cache --------------------------------------------------------------
stamp="$dir/crash.ok"
stampline="$entry"
[ -n "$ran" ] && stampline="$entry | $ran"
cached_note() { note "cached ($found, $arch, core via $1), $(states)"; }
crash_use_cache "its checks" "$stampline" "$exe" "$SELF"

# ---- running it ---------------------------------------------------------
pattern=$(core_pattern)
pid=""     # what we wait for: the program, or gdb (cleared once reaped)
target=""  # what gets SIGQUIT: the program (cleared once dead)
dead=""    # the program's pid, after it died (to find its core)
real_exe=$(readlink -f "$exe")
kids=""    # the program's descendants, killed at the end
work=""
fifo_fd=""

main_pid=$BASHPID
cleanup() { # kill what we started and is still running; remove the work dir
	local k
	# Subshells may inherit the traps: only the main
	# shell cleans up.
	[ "$BASHPID" = "$main_pid" ] || return 0
	[ -n "$target" ] && kill -0 "$target" 2>/dev/null && kids="$kids $(descendants "$target" | tr '\n' ' ')"
	{
	[ -n "$target" ] && kill -KILL "$target" 2>/dev/null
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	for k in $kids; do kill -KILL "$k" 2>/dev/null; done
	} 2>/dev/null
	pid="" target="" kids=""
	[ -n "$fifo_fd" ] && eval "exec $fifo_fd>&-"
	fifo_fd=""
	if [ -n "$work" ]; then
		if [ "${GOCORE_KEEP_WORK:-0}" = 1 ]; then note "kept $work"; else rm -rf "$work"; fi
	fi
	work=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

descendants() { # descendants PID: all (transitive) child pids
	ps -e -o pid= -o ppid= 2>/dev/null | awk -v root="$1" '
		{ kid[$2] = kid[$2] " " $1 }
		END { todo = root; while (todo != "") { split(todo, a, " "); todo = "";
			for (i in a) { n = split(kid[a[i]], b, " "); for (j = 1; j <= n; j++) { print b[j]; todo = todo " " b[j] } } } }'
}

# setup_work: a fresh temp dir with what the run mode needs; sets cmd, envs.
setup_work() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/gocore-npm-$name.XXXXXX") || return 1
	mkfifo "$work/stdin" || return 1
	envs=(GOTRACEBACK=crash)
	case $mode in
	esbuild-serve)
		printf '%s\n' 'export function answer() { return 42 }' 'console.log(answer())' >"$work/in.js"
		cmd=(in.js --outdir=out --serve=127.0.0.1:0)
		;;
	lefthook-run)
		(cd "$work" && git init -q . ) || { note "git init failed"; return 1; }
		printf '%s\n' 'pre-commit:' '  commands:' '    wait:' '      run: sleep 300' >"$work/lefthook.yml"
		envs=(-u LEFTHOOK -u LEFTHOOK_CONFIG -u LEFTHOOK_OUTPUT -u LEFTHOOK_VERBOSE -u LEFTHOOK_EXCLUDE
			-u LEFTHOOK_BIN -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE "${envs[@]}"
			HOME="$work" XDG_CONFIG_HOME="$work/.config" GIT_CONFIG_NOSYSTEM=1
			GIT_CEILING_DIRECTORIES="$(dirname "$work")")
		# Older lefthooks (1.5) lack --no-auto-install and spell
		# --colors off as --no-colors: ask `run --help`.
		local help
		help=$(cd "$work" && env "${envs[@]}" timeout 20 "${runner[@]}" "$exe" run --help 2>&1 </dev/null)
		cmd=(run pre-commit --force)
		grep -q -- '--no-auto-install' <<<"$help" && cmd+=(--no-auto-install)
		cmd+=(--no-tty)
		if grep -q -- '--colors ' <<<"$help"; then cmd+=(--colors off)
		elif grep -q -- '--no-colors' <<<"$help"; then cmd+=(--no-colors); fi
		;;
	turbo-run)
		mkdir -p "$work/pkgs/a" && (cd "$work" && git init -q . ) || { note "git init failed"; return 1; }
		echo '{"name":"root","version":"0.0.0","private":true,"workspaces":["pkgs/*"],"packageManager":"npm@9.2.0"}' >"$work/package.json"
		echo '{"name":"root","lockfileVersion":3,"requires":true,"packages":{}}' >"$work/package-lock.json"
		echo '{"name":"a","version":"0.0.0","scripts":{"wait":"sleep 300"}}' >"$work/pkgs/a/package.json"
		echo '{"pipeline":{"wait":{"cache":false}}}' >"$work/turbo.json"
		envs=(-u TURBO_TOKEN -u TURBO_TEAM -u TURBO_API "${envs[@]}" HOME="$work" XDG_CONFIG_HOME="$work/.config"
			XDG_CACHE_HOME="$work/.cache" TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 GIT_CONFIG_NOSYSTEM=1
			GIT_CEILING_DIRECTORIES="$(dirname "$work")" npm_config_cache="$work/.npm"
			npm_config_update_notifier=false npm_config_fund=false)
		cmd=(run wait --no-color)
		if (cd "$work" && env "${envs[@]}" timeout 20 "${runner[@]}" "$exe" run --help 2>&1 </dev/null) | grep -q -- '--no-daemon'; then
			cmd+=(--no-daemon)
		fi
		;;
	buf-studio|buf-lsp)
		envs=(-u BUF_TOKEN "${envs[@]}" HOME="$work" XDG_CONFIG_HOME="$work/.config" XDG_CACHE_HOME="$work/.cache"
			BUF_CACHE_DIR="$work/.cache/buf")
		if [ "$mode" = buf-studio ]; then
			cmd=(beta studio-agent --bind 127.0.0.1 --port 0 --timeout 0)
		else
			cmd=(lsp serve --timeout 0)
		fi
		;;
	tsgo-lsp)
		envs=("${envs[@]}" HOME="$work" XDG_CONFIG_HOME="$work/.config" XDG_CACHE_HOME="$work/.cache")
		cmd=(--lsp --stdio)
		;;
	esac
	# stdin: a FIFO we hold open (read-write, so neither side blocks), as
	# esbuild stops serving/watching when its stdin closes.
	exec {fifo_fd}<>"$work/stdin" || return 1
}

is_ready() { # mode-specific: is $target in its waiting state?
	local port hex
	case $mode in
	esbuild-serve)
		port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$work/oracle.txt" 2>/dev/null | head -1 | sed -E 's/.*:([0-9]+)\/$/\1/')
		[ -n "$port" ] || return 1
		hex=$(printf '%04X' "$port")
		awk -v want="0100007F:$hex" '$2 == want && $4 == "0A" { f = 1 } END { exit !f }' "/proc/$target/net/tcp" 2>/dev/null
		;;
	lefthook-run|turbo-run)
		local k
		for k in $(descendants "$target"); do
			[ "$(tr '\0' ' ' <"/proc/$k/cmdline" 2>/dev/null)" = "sleep 300 " ] && return 0
		done
		return 1
		;;
	buf-studio)
		local inodes
		inodes=$(ls -l "/proc/$target/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
		[ -n "$inodes" ] || return 1
		awk -v inodes="$inodes" 'BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
			$2 ~ /^0100007F:/ && $4 == "0A" && ($10 in want) { f = 1 } END { exit !f }' "/proc/$target/net/tcp" 2>/dev/null
		;;
	tsgo-lsp|buf-lsp)
		local f
		for f in /proc/"$target"/task/*/syscall; do
			case $(cat "$f" 2>/dev/null) in "0 0x0 "*) return 0 ;; esac
		done
		return 1
		;;
	esac
}

all_sleeping() { # every thread of $target in state S
	local f s n=0
	for f in /proc/"$target"/task/*/stat; do
		s=$(sed -E 's/^.*\) (.).*/\1/' "$f" 2>/dev/null) || return 1
		[ "$s" = S ] || return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}

# wait_ready_and_quit: find the target, wait until ready and parked, SIGQUIT.
wait_ready_and_quit() {
	local i k streak=0
	for ((i = 0; i < tmo * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || { note "program exited before it was ready; its stderr ends:"; tail -5 "$work/oracle.txt" >&2; return 1; }
		if [ -z "$target" ]; then
			if [ "$pid_is_gdb" = 1 ]; then
				for k in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
					[ "$(readlink "/proc/$k/exe" 2>/dev/null)" = "$real_exe" ] && target=$k
				done
			else
				target=$pid
			fi
		fi
		[ -n "$target" ] && is_ready && break
		sleep 0.05
	done
	[ $i -lt $((tmo * 20)) ] || { note "not ready within ${tmo}s ($mode); its stderr ends:"; tail -5 "$work/oracle.txt" >&2; return 1; }
	for ((i = 0; i < settle_tmo * 10 && streak < 5; i++)); do
		if all_sleeping; then streak=$((streak + 1)); else streak=0; fi
		sleep 0.1
	done
	[ $streak -ge 5 ] || note "warning: threads still not all sleeping after ${settle_tmo}s; sending SIG$qsig anyway"
	kids=$(descendants "$target" | tr '\n' ' ')
	kill -"$qsig" "$target" 2>/dev/null || { note "cannot send SIG$qsig to $target"; return 1; }
}

# wait_pid PID: wait at most $tmo seconds for our child PID (then SIGKILL
# it); sets rc. Polls, so no watchdog process is left behind.
wait_pid() {
	local i killed=0
	{ # 2>/dev/null: no "Aborted (core dumped)" job notices from bash
		for ((i = 0; i < tmo * 20; i++)); do
			kill -0 "$1" || break
			sleep 0.05
		done
		if kill -0 "$1"; then
			kill -KILL "$1"
			killed=1
		fi
		wait "$1"
		rc=$?
	} 2>/dev/null
	[ $killed = 0 ] || note "killed after ${tmo}s"
	return 0
}

run_plain() {
	pid_is_gdb=0
	( cd "$work" && ulimit -c unlimited && exec env "${envs[@]}" "${runner[@]}" "$exe" "${cmd[@]}" <stdin >stdout.txt 2>oracle.txt ) &
	pid=$!
	wait_ready_and_quit || kill -KILL "$pid" 2>/dev/null
	wait_pid "$pid"
	dead=$target pid="" target=""
	if [ "$rc" -ne 134 ]; then
		note "expected the program to die of SIGABRT (exit 134), got exit $rc; its stderr ends:"
		tail -5 "$work/oracle.txt" >&2
		return 2
	fi
}

run_gdb() {
	command -v gdb >/dev/null || { note "gdb is not installed (Debian: gdb)"; return 1; }
	local q
	q=$(printf ' %q' "${cmd[@]}")
	# With SIGABRT as the trigger gdb first stops at ours, which the
	# runtime still catches: CORE_GDB_TAIL continues to its final one.
	pid_is_gdb=1
	( cd "$work" && exec env "${envs[@]}" gdb "${CORE_GDB_HEAD[@]}" \
		-ex "run$q <stdin >stdout.txt 2>oracle.txt" "${CORE_GDB_TAIL[@]}" \
		"$exe" >gdb.log 2>&1 ) &
	pid=$!
	wait_ready_and_quit || kill -KILL "$pid" 2>/dev/null
	wait_pid "$pid"
	dead=$target pid="" target=""
	core_gdb_check "$work"
}

attempt() { # attempt METHOD: one crash run; leaves $dir/{core,oracle.txt}
	local m=$1 r
	cleanup
	dead=""
	rm -f "$dir/core" "$dir/oracle.txt" "$dir/stdout.txt" "$dir/gdb.log" "$dir/qemu.txt"
	setup_work || { note "cannot set up a work directory"; return 1; }
	crash_run_way "$m" dead "$work"
	r=$?
	for f in oracle.txt stdout.txt gdb.log; do [ -f "$work/$f" ] && cp -f "$work/$f" "$dir/$f"; done
	if [ "$m" = qemu ] && [ -f "$dir/oracle.txt" ]; then
		# qemu 11 appends "qemu: uncaught target signal 6 (Aborted) - core
		# dumped" to the guest's stderr: not the runtime's
		grep -E '^qemu: ' "$dir/oracle.txt" >"$dir/qemu.txt"
		sed -i -E '/^qemu: /d' "$dir/oracle.txt"
	fi
	[ $r -eq 0 ] || return $r
	core_is_core "$work/core" || { note "the core ($work/core) is not an ELF core file"; return 1; }
	mv -f "$work/core" "$dir/core" || return 1
}

crash_take_core "$pattern" cleanup
check_oracle || die "the oracle ($dir/oracle.txt) fails its checks"
{
	echo "name $name"
	echo "spec $spec"
	echo "integrity $(sed -n 's/.*"integrity": *"\([^"]*\)".*/\1/p' "$dir/pack.json" | head -1)"
	echo "go $found ($how, $syms)"
	echo "arch $arch${ran:+ (under $ran)}"
	echo "mode $mode"
	echo "core $used ($(du -h "$dir/core" | cut -f1))"
	echo "oracle $(states)"
} >"$dir/info.txt"
printf '%s\n%s\n' "$used" "$stampline" >"$stamp"
note "crashed: $found, $arch, core via $used ($(du -h "$dir/core" | cut -f1)), $(states)"
