#!/usr/bin/env bash
# colour.sh [DIR...] — --color on the end-to-end cores, whose plain
# `goroutines` output tests/e2e.sh has compared with the runtime's dump.
#
# DIR: a crash directory holding PROG/core and PROG/exe for each PROG of
# GOCORE_COLOUR_PROGS (default: chans labels blocked threads deep cshared);
# by default cache/e2e, cache/e2e-go1.26 and cache/e2e-go1.27 (tests/e2e.sh
# with GOCORE_GO=1.19, 1.26, 1.27 makes them).  A missing core fails, it is
# never skipped.  For each core:
#   CMD-strip     `gocore CMD --color=always` less its SGR sequences
#                 ("\033[...m") is `gocore CMD` (stdout a file) byte for
#                 byte, with the same exit status, for CMD goroutines,
#                 goroutines -v, stack GOID (the first and the last
#                 goroutine), summary, leaks, leaks --summary
#   CMD-shapes    ... and its lines have colour where they should: every
#                 header starts with an escape, every function line too,
#                 every file:line line holds one
#   auto-pipe     --color=auto (and no --color) into a pipe: no ESC byte
#   pty           under a pseudo-terminal (python3's pty module): no
#                 --color and --color=auto have colour (and less it are the
#                 plain text), NO_COLOR=1 and --color=never have none,
#                 NO_COLOR= (empty) has colour, --color=always with
#                 NO_COLOR=1 has colour
#   json          --json --color=always (goroutines, stack, summary, leaks)
#                 and the other commands (overview, threads, waits) with
#                 --color=always: no ESC byte
# Then once: --color=bogus and --color without a value exit 1.
# The last line is "N passed, M failed"; the exit status is 1 if M > 0.
#
# Environment: GOCORE (default build/gocore), GOCORE_COLOUR_PROGS,
# GOCORE_E2E_TIMEOUT (seconds per gocore run, default 300), PYTHON
# (default python3).
set -u
set -o pipefail
cd "$(dirname "$0")/.." || exit 1
GOCORE=${GOCORE:-build/gocore}
source tests/lib/runner.sh
runner_check_tools

PROGS=(${GOCORE_COLOUR_PROGS:-chans labels blocked threads deep cshared})
if [ $# -gt 0 ]; then DIRS=("$@"); else DIRS=(cache/e2e cache/e2e-go1.26 cache/e2e-go1.27); fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gocore-colour.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
ESC=$(printf '\033')

strip_sgr() { sed "s/$ESC\[[0-9;]*m//g"; }
has_esc() { LC_ALL=C grep -q "$ESC" "$1"; }
run() { timeout "$TMO" "$GOCORE" "$@"; }

# pty OUT ENV... -- ARGS...: gocore ARGS with stdout on a pseudo-terminal
# (raw: no "\n" to "\r\n"), env changed by ENV (VAR=VALUE, or -u VAR);
# what it wrote goes to OUT; returns its exit status.
pty() {
	local out=$1
	shift
	"$PY" - "$out" "$GOCORE" "$TMO" "$@" <<'EOF'
import os, pty, subprocess, sys, tty
out, gocore, tmo = sys.argv[1], sys.argv[2], float(sys.argv[3])
args = sys.argv[4:]
env = dict(os.environ)
while args[0] != '--':
    a = args.pop(0)
    if a == '-u':
        env.pop(args.pop(0), None)
    else:
        k, v = a.split('=', 1)
        env[k] = v
args.pop(0)
master, slave = pty.openpty()
tty.setraw(slave)
p = subprocess.Popen([gocore] + args, stdin=subprocess.DEVNULL, stdout=slave,
                     stderr=subprocess.DEVNULL, env=env)
os.close(slave)
data = []
while True:
    try:
        chunk = os.read(master, 1 << 16)
    except OSError:  # EIO: the terminal's last writer is gone
        break
    if not chunk:
        break
    data.append(chunk)
try:
    rc = p.wait(timeout=tmo)
except subprocess.TimeoutExpired:
    p.kill()
    rc = 124
open(out, 'wb').write(b''.join(data))
sys.exit(rc)
EOF
}

# shapes LAYOUT PLAIN COLOURED: the coloured lines of the shapes that get
# colour have it (LAYOUT traceback or summary); prints what is wrong.
shapes() {
	"$PY" - "$@" <<'EOF'
import re, sys
layout, plain, coloured = sys.argv[1], sys.argv[2], sys.argv[3]
p = open(plain, 'rb').read().split(b'\n')
c = open(coloured, 'rb').read().split(b'\n')
sgr = re.compile(rb'\x1b\[[0-9;]*m')
bad = []
if len(p) != len(c):
    bad.append('%d lines, %d coloured' % (len(p), len(c)))
count = {'header': 0, 'function': 0, 'file': 0}
for i, (pl, cl) in enumerate(zip(p, c)):
    if sgr.sub(b'', cl) != pl:
        bad.append('line %d differs' % (i + 1))
        continue
    if layout == 'traceback':
        header = re.match(rb'goroutine \d+ ', pl)
        func = not pl.startswith((b'\t', b'created by ', b'...', b'goroutine ')) and pl.endswith(b')')
        fileline = re.match(rb'\t.*:\d+( \+0x[0-9a-f]+)?( fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?$', pl)
    else:
        header = re.match(rb'\d+ goroutines? \[', pl)
        func = pl.startswith(b'\t') and not pl.startswith(b'\t\t') and re.search(rb'\((\.\.\.)?\)$', pl)
        fileline = re.match(rb'\t\t.*:\d+$', pl)
    for kind, is_kind, ok in (('header', header, cl.startswith(b'\x1b[')),
                              ('function', func, cl.lstrip(b'\t').startswith(b'\x1b[')),
                              ('file', fileline, b'\x1b[' in cl)):
        if is_kind:
            count[kind] += 1
            if not ok:
                bad.append('%s line %d without colour: %r' % (kind, i + 1, pl[:100]))
# (leaks prints nothing for a core without leaked goroutines)
if p != [b''] and (count['header'] == 0 or count['function'] == 0 or count['file'] == 0):
    bad.append('too few lines of each shape: %r' % count)
for b in bad[:5]:
    print(b)
sys.exit(1 if bad else 0)
EOF
}

# check_cmd NAME LAYOUT ARGS...: the CMD-strip and CMD-shapes checks.
check_cmd() {
	local name=$1 layout=$2 plain coloured rc rcc
	shift 2
	plain=$WORK/$name.plain
	coloured=$WORK/$name.colour
	run "$@" >"$plain" 2>"$WORK/$name.err"
	rc=$?
	run --color=always "$@" >"$coloured" 2>"$WORK/$name.colour.err"
	rcc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
		fail "$id/$name-strip" "gocore $* exited $rc: $(tail -n 2 "$WORK/$name.err")"
		return
	fi
	if [ "$rc" != "$rcc" ]; then
		fail "$id/$name-strip" "exit $rcc with --color=always, $rc without"
	elif ! strip_sgr <"$coloured" | cmp -s - "$plain"; then
		fail "$id/$name-strip" "less its SGR sequences the coloured output differs: $(strip_sgr <"$coloured" | diff "$plain" - | head -n 5)"
	elif [ -s "$plain" ] && ! has_esc "$coloured"; then
		fail "$id/$name-strip" "--color=always wrote no escape"
	else
		pass "$id/$name-strip" "$(wc -l <"$plain") lines"
	fi
	local why
	if why=$(shapes "$layout" "$plain" "$coloured"); then
		pass "$id/$name-shapes"
	else
		fail "$id/$name-shapes" "$(echo "$why" | head -n 5)"
	fi
}

for dir in "${DIRS[@]}"; do
	for prog in "${PROGS[@]}"; do
		id=$dir/$prog
		core=$dir/$prog/core
		exe=$dir/$prog/exe
		if [ ! -f "$core" ] || [ ! -f "$exe" ]; then
			fail "$id" "no $core or $exe: make them with tests/e2e.sh (GOCORE_GO=1.19 for cache/e2e, 1.26 for cache/e2e-go1.26, 1.27 for cache/e2e-go1.27)"
			continue
		fi
		rm -f "$WORK"/*
		check_cmd goroutines traceback goroutines "$core" "$exe"
		check_cmd goroutines-v traceback goroutines -v "$core" "$exe"
		first=$(sed -n 's/^goroutine \([0-9]*\) .*/\1/p' "$WORK/goroutines.plain" | head -n 1)
		last=$(sed -n 's/^goroutine \([0-9]*\) .*/\1/p' "$WORK/goroutines.plain" | tail -n 1)
		if [ -z "$first" ]; then
			fail "$id/stack" "no goroutine header in the goroutines output"
		else
			check_cmd stack-first traceback stack "$first" "$core" "$exe"
			check_cmd stack-last traceback stack "$last" "$core" "$exe"
		fi
		check_cmd summary summary summary "$core" "$exe"
		check_cmd leaks traceback leaks "$core" "$exe"
		check_cmd leaks-summary summary leaks --summary "$core" "$exe"

		# --color=auto and no --color into a pipe.
		bad=
		for opt in --color=auto ""; do
			# shellcheck disable=SC2086
			run goroutines $opt "$core" "$exe" 2>/dev/null | cat >"$WORK/pipe"
			if has_esc "$WORK/pipe"; then bad="$bad '${opt:-no --color}'"; fi
			if [ ! -s "$WORK/pipe" ]; then bad="$bad '${opt:-no --color}' (no output)"; fi
		done
		if [ -z "$bad" ]; then pass "$id/auto-pipe"; else fail "$id/auto-pipe" "ESC bytes from$bad"; fi

		# Under a pseudo-terminal.
		bad=
		while IFS='|' read -r want env opt; do
			# shellcheck disable=SC2086
			pty "$WORK/tty" $env -- goroutines $opt "$core" "$exe"
			rc=$?
			if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
				bad="$bad; '$env $opt' exited $rc"
			elif [ ! -s "$WORK/tty" ]; then
				bad="$bad; '$env $opt' printed nothing"
			elif [ "$want" = colour ] && ! has_esc "$WORK/tty"; then
				bad="$bad; '$env $opt' has no colour"
			elif [ "$want" = plain ] && has_esc "$WORK/tty"; then
				bad="$bad; '$env $opt' has ESC bytes"
			elif ! strip_sgr <"$WORK/tty" | cmp -s - "$WORK/goroutines.plain"; then
				bad="$bad; '$env $opt' less its colour is not the plain text"
			fi
		done <<-EOF
			colour|-u NO_COLOR|
			colour|-u NO_COLOR|--color=auto
			plain|NO_COLOR=1|--color=auto
			plain|NO_COLOR=1|
			colour|NO_COLOR=|--color=auto
			plain|-u NO_COLOR|--color=never
			colour|NO_COLOR=1|--color=always
		EOF
		if [ -z "$bad" ]; then pass "$id/pty" "7 runs"; else fail "$id/pty" "${bad#; }"; fi

		# JSON, and the commands without colour.
		bad=
		for c in "goroutines --json" "stack $first --json" "summary --json" "leaks --json" \
			"leaks --summary --json" overview "overview --json" threads "threads -v" \
			"waits" "waits --json"; do
			# shellcheck disable=SC2086
			run $c --color=always "$core" "$exe" >"$WORK/json" 2>/dev/null
			rc=$?
			if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then bad="$bad; '$c' exited $rc"; fi
			if has_esc "$WORK/json"; then bad="$bad; '$c' has ESC bytes"; fi
		done
		if [ -z "$bad" ]; then pass "$id/json"; else fail "$id/json" "${bad#; }"; fi
	done
done

# Usage errors, on no core at all.
for opt in --color=bogus --color=; do
	run goroutines "$opt" /nonexistent/core >/dev/null 2>"$WORK/usage.err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q -- '--color takes auto, always or never' "$WORK/usage.err"; then
		pass "usage$opt"
	else
		fail "usage$opt" "exit $rc, stderr: $(head -n 1 "$WORK/usage.err")"
	fi
done
run goroutines /nonexistent/core --color >/dev/null 2>&1
rc=$?
if [ "$rc" = 1 ]; then pass "usage--color-alone"; else fail "usage--color-alone" "exit $rc"; fi
finish
