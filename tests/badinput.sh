#!/usr/bin/env bash
# badinput.sh — gocore on hostile input: cut cores, corrupted cores,
# mismatched executables, files that are not cores.
#
# For each core (testdata programs chans, threads, deep, many and cshared,
# a C host whose Go code is a c-shared library found among the core's
# mapped files, from cache/e2e, chans from cache/e2e-stripped and from the
# arm64, riscv64 and loong64 caches (qemu-user cores), and one npm
# core from cache/npm, those that exist; tests/e2e.sh and tests/npm-e2e.sh
# make them):
#   cut      the core cut at ~20-25 offsets taken from its own structure:
#            inside the ELF header, inside the program headers, inside
#            PT_NOTE, at the start and middle of PT_LOADs (the executable's
#            first page, its data/bss, the one holding allgs, the ones holding
#            goroutine stacks, the largest, a middle one, the last), the
#            middle of the allgs array, a goroutine's sp, the last byte.
#            `goroutines` and one other command (rotating: summary, overview
#            --json, threads --json, goroutines --json, pprof, stack, -v):
#            exit 2 (too little to analyse) or 3 (partial), stderr names the
#            core and says it is truncated; with exit 3 `goroutines` prints
#            "goroutine N [" headers (Go 1.23+: "goroutine N gp=… m=… [") or says on stderr which goroutines could
#            not be read.
#   corrupt  GOCORE_BADINPUT_CORRUPT (default 120) copies, spread over the
#            cores, with bytes changed in the ELF header, the program
#            headers, the notes, the allgs array, g structs (random words,
#            pointers to themselves or to other gs: cycles), goroutine
#            stacks, small PT_LOADs.  Seeded (GOCORE_BADINPUT_SEED, default 1):
#            a failing case names its seed and edits, and reruns the same.
#            Exit 0, 2 or 3, a message on stderr unless 0.
# plus mismatched executables (another program's, another build of the same
# program, a non-Go ELF, a non-ELF file, an empty file, a cut executable;
# --force with another program or build: exit 3, a gap, with a warning;
# --force with a non-Go ELF: exit 2) and files that are not cores (empty, random
# bytes, text, a directory, a missing file, an executable, a Go executable,
# a core of a C program made at test time): exit 2 with one line on stderr
# (mismatches: naming both files).
#
# Every run: no signal, no timeout (GOCORE_BADINPUT_TIMEOUT seconds, default
# 60), no sanitizer report on stderr (AddressSanitizer, UBSan's "runtime
# error:", LeakSanitizer), exit code as above.  The last lines give the exit
# code distribution and "N passed, M failed"; the exit status is 1 if M > 0.
#
# Environment: GOCORE (default build/gocore), GOCORE_E2E_DIR (cache/e2e),
# GOCORE_BADINPUT_JOBS (default nproc), GOCORE_BADINPUT_CORES (names under
# GOCORE_E2E_DIR; default "chans threads deep many cshared"), GOCORE_BADINPUT_KEEP=1
# (keep the work directory).
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
export GOCORE=${GOCORE:-build/gocore}
export TMO=${GOCORE_BADINPUT_TIMEOUT:-60}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
SANITIZER_RE='ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ERROR: UndefinedBehaviorSanitizer'
export SANITIZER_RE
PY=${PYTHON:-python3}
export PY

# ---- one case (run by xargs, in parallel): --case ID KIND EXPECT SETUP ARGS --
# SETUP: cut:CORE:OFFSET | corrupt:CORE:SEED:PLAN | none.  ARGS: the core and
# exe arguments; "@CORE" stands for the prepared copy.
if [ "${1:-}" = --case ]; then
	id=$2 kind=$3 expect=$4 setup=$5
	shift 5
	dir=$WORK/case/$id
	mkdir -p "$dir"
	out=$WORK/res/$id
	: >"$out"
	note=""
	core=""
	case $setup in
	cut:*)
		IFS=: read -r _ src off <<<"$setup"
		core=$dir/core
		cp --sparse=always "$src" "$core" && truncate -s "$off" "$core"
		;;
	corrupt:*)
		IFS=: read -r _ src seed plan <<<"$setup"
		core=$dir/core
		cp --sparse=always "$src" "$core"
		note=$("$PY" "$WORK/bi.py" mutate "$core" "$seed" "$plan" 2>&1) || note="mutate failed: $note"
		note="seed $seed, $note"
		;;
	esac
	args=()
	for a in "$@"; do
		if [ "$a" = @CORE ]; then args+=("$core"); else args+=("$a"); fi
	done
	# Two commands for cut and corrupt copies: goroutines, then a rotating one.
	cmds=("goroutines")
	if [ "$kind" = cut ] || [ "$kind" = corrupt ]; then
		h=$(cksum <<<"$id" | cut -d' ' -f1)
		others=("summary" "overview --json" "threads --json" "goroutines --json"
			"pprof -o $dir/profile.pb.gz" "stack 1" "goroutines -v" "leaks --json"
			"waits" "leaks --summary" "waits --json" "report -o $dir/report.html")
		cmds+=("${others[$((h % ${#others[@]}))]}")
	fi
	[ "$kind" = force ] && cmds=("goroutines --force" "overview --force")
	for c in "${cmds[@]}"; do
		read -r -a cv <<<"$c"
		timeout -k 5 "$TMO" "$GOCORE" "${cv[@]}" "${args[@]}" >"$dir/stdout" 2>"$dir/stderr"
		rc=$?
		what="$kind $id: gocore $c ${args[*]}${note:+ [$note]}"
		why=""
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			why="timed out after ${TMO}s"
		elif [ "$rc" -ge 128 ]; then
			why="killed by signal $((rc - 128))"
		elif grep -qE "$SANITIZER_RE" "$dir/stderr"; then
			why="sanitizer report (exit $rc)"
		elif [[ $expect != *"$rc"* ]]; then
			why="exit $rc, want one of {$(sed 's/./&,/g; s/,$//' <<<"$expect")}"
		elif [ "$rc" -ne 0 ] && [ ! -s "$dir/stderr" ]; then
			why="exit $rc with nothing on stderr"
		else
			case $kind in
			cut)
				if ! grep -qF -- "$core" "$dir/stderr"; then
					why="stderr does not name the core ($core)"
				elif ! grep -q 'truncated' "$dir/stderr"; then
					why="stderr does not say the core is truncated"
				elif [ "$rc" -eq 3 ] && [ "$c" = goroutines ] &&
					! grep -qE '^goroutine [0-9]+ .*\[' "$dir/stdout" &&
					! grep -q 'could not be read' "$dir/stderr"; then
					why="exit 3 but no goroutine printed and no goroutine reported unreadable"
				fi
				;;
			notcore)
				n=$(wc -l <"$dir/stderr")
				[ "$n" -eq 1 ] || why="$n lines on stderr, want one"
				grep -qF -- "${args[0]}" "$dir/stderr" || why="${why:+$why; }stderr does not name ${args[0]}"
				;;
			mismatch)
				n=$(wc -l <"$dir/stderr")
				[ "$n" -eq 1 ] || why="$n lines on stderr, want one"
				for f in "${args[@]}"; do
					grep -qF -- "$f" "$dir/stderr" || why="${why:+$why; }stderr does not name $f"
				done
				;;
			force)
				grep -q 'warning' "$dir/stderr" || why="no warning on stderr"
				;;
			esac
		fi
		echo "RC $kind $rc" >>"$out"
		if [ -n "$why" ]; then
			echo "FAIL $what: $why" >>"$out"
			head -5 "$dir/stderr" | sed 's/^/    /' >>"$out"
			grep -E -A12 "$SANITIZER_RE" "$dir/stderr" | head -25 | sed 's/^/    /' >>"$out"
		else
			echo "PASS $what: exit $rc: $(head -1 "$dir/stderr" | cut -c1-160)" >>"$out"
		fi
	done
	rm -rf "$dir"
	exit 0
fi

# ---- setup --------------------------------------------------------------------
JOBS=${GOCORE_BADINPUT_JOBS:-$(nproc 2>/dev/null || echo 2)}
E2E_DIR=${GOCORE_E2E_DIR:-cache/e2e}
NCORRUPT=${GOCORE_BADINPUT_CORRUPT:-120}
SEED=${GOCORE_BADINPUT_SEED:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gocore-badinput.XXXXXX")
export WORK
[ "${GOCORE_BADINPUT_KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/res" "$WORK/case" "$WORK/plan"
t0=$(date +%s)

setup_failed=0
setup_fail() { echo "FAIL setup: $1"; setup_failed=$((setup_failed + 1)); }
if [ ! -x "$GOCORE" ]; then
	setup_fail "$GOCORE does not exist or is not executable (build it with: make)"
	echo "0 passed, $setup_failed failed"
	exit 1
fi
command -v "$PY" >/dev/null || { setup_fail "$PY not found"; echo "0 passed, 1 failed"; exit 1; }

# The core's structure: cut offsets and regions to corrupt.  g structs are
# found without symbols (stripped and npm cores too): (stack.lo, stack.hi)
# pairs, hi-lo a power of two, around an sp that `goroutines -v` printed;
# allgs is the longest run of words that are g addresses.
cat >"$WORK/bi.py" <<'PYEOF'
import bisect, os, random, struct, sys

def load_core(path):
    with open(path, 'rb') as f:
        eh = f.read(64)
        phoff, = struct.unpack_from('<Q', eh, 32)
        phentsize, phnum = struct.unpack_from('<HH', eh, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    segs, notes = [], []
    for k in range(phnum):
        pt, fl, off, va, pa, fsz, msz, al = struct.unpack_from('<IIQQQQQQ', ph, k * phentsize)
        if pt == 1:
            segs.append((off, va, fsz))
        elif pt == 4:
            notes.append((off, fsz))
    return phoff, phentsize, phnum, segs, notes

def va2off(segs, va, n=1):
    for off, v, fsz in segs:
        if v <= va and va + n <= v + fsz:
            return off + (va - v)
    return None

def seg_of(segs, va):
    for i, (off, v, fsz) in enumerate(segs):
        if v <= va < v + fsz:
            return i
    return None

def plan(core, spfile):
    phoff, phentsize, phnum, segs, notes = load_core(core)
    size = os.path.getsize(core)
    sps = []
    for line in open(spfile, errors='replace'):
        for tok in line.split():
            if tok.startswith('sp=0x'):
                sps.append(int(tok[3:], 16))
    stack_segs = sorted({seg_of(segs, sp) for sp in sps} - {None})
    gs, allgs = [], []
    sptab = sorted(set(sps))
    with open(core, 'rb') as f:
        for i in stack_segs:
            off, va, fsz = segs[i]
            if fsz > (64 << 20):
                continue
            f.seek(off)
            buf = f.read(fsz)
            words = struct.unpack('<%dQ' % (len(buf) // 8), buf[:len(buf) // 8 * 8])
            for j in range(len(words) - 1):
                lo, hi = words[j], words[j + 1]
                d = hi - lo
                if 2048 <= d <= (1 << 30) and d & (d - 1) == 0 and lo & 0x7ff == 0:
                    k = bisect.bisect_right(sptab, lo)
                    if k < len(sptab) and sptab[k] < hi:
                        gs.append(va + 8 * j)
            gset = set(gs)
            j = 0
            while j < len(words):
                if words[j] in gset:
                    s = j
                    while j < len(words) and words[j] in gset:
                        j += 1
                    if j - s >= 2:
                        allgs.append((va + 8 * s, (j - s) * 8))
                else:
                    j += 1
    allgs.sort(key=lambda r: -r[1])
    cuts = [(4, 'ELF magic'), (24, 'inside the ELF header'), (63, 'last ELF header byte missing')]
    phend = phoff + phentsize * phnum
    cuts += [(phoff + phentsize // 2, 'inside program header 0'),
             ((phoff + phend) // 2, 'middle of the program headers'),
             (phend - 1, 'last program header byte missing')]
    for off, fsz in notes[:1]:
        cuts += [(off + 6, 'inside the first note header'), (off + fsz // 2, 'middle of PT_NOTE'),
                 (off + fsz - 1, 'last PT_NOTE byte missing')]
    want = {}
    loads = [i for i, s in enumerate(segs) if s[2] > 0]
    if loads:
        want[loads[0]] = 'first PT_LOAD (executable header page)'
    for a, n in allgs[:1]:
        i = seg_of(segs, a)
        if i is not None:
            want.setdefault(i, 'PT_LOAD holding allgs')
    for i in stack_segs:
        want.setdefault(i, 'PT_LOAD holding goroutine stacks')
    if loads:
        for i in loads[1:3]:
            want.setdefault(i, 'PT_LOAD after the first (executable data/bss)')
        want.setdefault(max(loads, key=lambda i: segs[i][2]), 'largest PT_LOAD')
        want.setdefault(loads[len(loads) // 2], 'a middle PT_LOAD')
        want.setdefault(loads[-1], 'last PT_LOAD')
    for i, label in sorted(want.items()):
        off, va, fsz = segs[i]
        cuts += [(off, 'start of %s @%#x' % (label, va)),
                 (off + fsz // 2, 'middle of %s @%#x' % (label, va))]
        for a, n in allgs[:1]:
            if seg_of(segs, a) == i:
                cuts.append((va2off(segs, a) + n // 2, 'middle of the allgs array @%#x' % a))
        if i in stack_segs:
            sp = max(s for s in sps if seg_of(segs, s) == i)
            cuts.append((va2off(segs, sp), 'at goroutine sp %#x' % sp))
    cuts.append((size - 1, 'last byte missing'))
    seen = set()
    for off, label in sorted(cuts):
        if 0 < off < size and off not in seen:
            seen.add(off)
            print('cut\t%d\t%s' % (off, label))
    print('region\tehdr\t0\t64')
    print('region\tphdrs\t%d\t%d' % (phoff, phend - phoff))
    for off, fsz in notes:
        print('region\tnotes\t%d\t%d' % (off, fsz))
    for a, n in allgs[:1]:
        print('region\tallgs\t%d\t%d' % (va2off(segs, a), n))
    for g in gs[:64]:
        o = va2off(segs, g, 0x180)
        if o is not None:
            print('g\t%d\t%d' % (o, g))
    u = sorted(set(sps))
    for sp in u[::max(1, len(u) // 64)]:
        o = va2off(segs, sp - 64, 256)
        if o is not None:
            print('region\tstack\t%d\t256' % o)
    for i in loads:
        off, va, fsz = segs[i]
        if fsz <= (8 << 20):
            print('region\tload\t%d\t%d' % (off, fsz))
    sys.stderr.write('%d cuts, %d g structs, allgs %s, %d sps, %d PT_LOADs with bytes\n' %
                     (len(seen), len(gs), '%#x (%d)' % (allgs[0][0], allgs[0][1] // 8) if allgs else 'not found',
                      len(u), len(loads)))

def mutate(path, seed, planfile):
    rng = random.Random(seed)
    regions, gs = {}, []
    for line in open(planfile):
        f = line.rstrip('\n').split('\t')
        if f[0] == 'region':
            regions.setdefault(f[1], []).append((int(f[2]), int(f[3])))
        elif f[0] == 'g':
            gs.append((int(f[1]), int(f[2])))
    kinds = [k for k in ('ehdr', 'phdrs', 'phdrs', 'notes', 'notes', 'notes', 'allgs', 'stack', 'stack', 'load')
             if k in regions]
    if gs:
        kinds += ['g', 'g', 'gcycle', 'gcycle']
    kind = rng.choice(kinds)
    edits = []
    if kind in ('g', 'gcycle'):
        off, va = rng.choice(gs)
        for _ in range(rng.randint(1, 4)):
            o = off + 8 * rng.randrange(0x180 // 8)
            if kind == 'gcycle':   # a pointer back into this g, or to another g
                v = rng.choice([va, va + 8 * rng.randrange(0x30), rng.choice(gs)[1]])
            else:
                v = rng.choice([0, 2**64 - 1, 1 << 40, rng.getrandbits(64),
                                rng.choice(gs)[1] + rng.randrange(-64, 64)])
            edits.append((o, struct.pack('<Q', v % 2**64)))
    else:
        off, n = rng.choice(regions[kind])
        for _ in range(rng.choice([1, 1, 2, 4, 8, 16])):
            if rng.random() < 0.5 or n < 8:
                edits.append((off + rng.randrange(n), bytes([rng.getrandbits(8)])))
            else:
                o = off + (rng.randrange(n - 7) & ~7)
                v = rng.choice([0, 2**64 - 1, 2**63, 2**32, rng.getrandbits(64), rng.getrandbits(16)])
                edits.append((o, struct.pack('<Q', v)))
    with open(path, 'r+b') as f:
        for o, b in edits:
            f.seek(o)
            f.write(b)
    print('%s: %d edit(s) at %s' % (kind, len(edits), ','.join('%#x' % o for o, _ in edits[:4])))

if sys.argv[1] == 'plan':
    plan(sys.argv[2], sys.argv[3])
else:
    mutate(sys.argv[2], int(sys.argv[3]), sys.argv[4])
PYEOF

# Cores: NAME DIR (core and exe in DIR).
cores=()
for n in ${GOCORE_BADINPUT_CORES:-chans threads deep many cshared}; do
	[ -s "$E2E_DIR/$n/core" ] && cores+=("$n" "$E2E_DIR/$n")
done
[ -s cache/e2e-stripped/chans/core ] && cores+=("stripped-chans" "cache/e2e-stripped/chans")
# Cores of the other architectures, as qemu-user writes them (make e2e).
for a in arm64 riscv64 loong64; do
	[ -s "cache/e2e-$a-go1.27/chans/core" ] && cores+=("$a-chans" "cache/e2e-$a-go1.27/chans")
done
for d in cache/npm/esbuild-0.24.2 cache/npm/*; do
	if [ -s "$d/core" ] && [ -s "$d/exe" ]; then
		cores+=("npm-$(basename "$d")" "$d")
		break
	fi
done
if [ ${#cores[@]} -eq 0 ]; then
	setup_fail "no cores in $E2E_DIR (run tests/e2e.sh first)"
	echo "0 passed, $setup_failed failed"
	exit 1
fi

cases=$WORK/cases
: >"$cases"
ncores=$((${#cores[@]} / 2))
per_core=$(((NCORRUPT + ncores - 1) / ncores))
first_core="" first_exe=""
for ((i = 0; i < ${#cores[@]}; i += 2)); do
	name=${cores[i]} d=${cores[i + 1]}
	plan=$WORK/plan/$name
	# The intact core must read cleanly first: its sps locate the stacks.
	timeout "$TMO" "$GOCORE" goroutines -v "$d/core" "$d/exe" >"$plan.v" 2>"$plan.err"
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		setup_fail "$name: gocore goroutines on the intact core exits $rc: $(head -1 "$plan.err")"
		continue
	fi
	if ! "$PY" "$WORK/bi.py" plan "$d/core" "$plan.v" >"$plan" 2>"$plan.info"; then
		setup_fail "$name: cannot read the core's structure: $(tail -1 "$plan.info")"
		continue
	fi
	echo "badinput: $name: $(cat "$plan.info")"
	[ -n "$first_core" ] || { first_core=$d/core; first_exe=$d/exe; }
	k=0
	while IFS=$'\t' read -r _ off label; do
		k=$((k + 1))
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "cut-$name-$k" cut 23 "cut:$d/core:$off" @CORE "$d/exe" >>"$cases"
	done < <(grep '^cut' "$plan")
	for ((j = 0; j < per_core; j++)); do
		s=$((SEED * 100000 + i * 1000 + j))
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "corrupt-$name-$j" corrupt 023 "corrupt:$d/core:$s:$plan" @CORE "$d/exe" >>"$cases"
	done
done
[ -n "$first_core" ] || { echo "0 passed, $setup_failed failed"; exit 1; }

# Mismatched executables, against the first core.
m=$WORK/files
mkdir -p "$m"
other_exe=""
for n in threads deep chans many; do
	[ -s "$E2E_DIR/$n/exe" ] && [ "$E2E_DIR/$n/exe" != "$first_exe" ] && { other_exe=$E2E_DIR/$n/exe; break; }
done
addcase() { local IFS=$'\t'; echo "$*" >>"$cases"; }
[ -n "$other_exe" ] && addcase mismatch-other-program mismatch 2 none "$first_core" "$other_exe"
[ -n "$other_exe" ] && addcase force-other-program force 3 none "$first_core" "$other_exe"
other_build=cache/e2e-stripped/$(basename "$(dirname "$first_core")")/exe
[ -s "$other_build" ] && ! cmp -s "$other_build" "$first_exe" &&
	addcase mismatch-other-build mismatch 2 none "$first_core" "$other_build"
[ -s "$other_build" ] && addcase force-other-build force 3 none "$first_core" "$other_build"
for e in /bin/ls /bin/true; do
	[ -f "$e" ] && addcase "mismatch-not-go-$(basename "$e")" mismatch 2 none "$first_core" "$e"
done
[ -f /bin/ls ] && addcase force-not-go force 2 none "$first_core" /bin/ls
cp README.md "$m/not-elf.txt"
: >"$m/empty"
head -c 300000 "$first_exe" >"$m/cut-exe"
head -c 40 "$first_exe" >"$m/cut-exe-header"
addcase mismatch-not-elf mismatch 2 none "$first_core" "$m/not-elf.txt"
addcase mismatch-empty-exe mismatch 2 none "$first_core" "$m/empty"
addcase mismatch-missing-exe mismatch 2 none "$first_core" "$m/no-such-exe"
addcase mismatch-cut-exe mismatch 2 none "$first_core" "$m/cut-exe"
addcase mismatch-cut-exe-header mismatch 2 none "$first_core" "$m/cut-exe-header"

# Not cores.
"$PY" -c "import random,sys; r=random.Random($SEED); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(1<<20)))" >"$m/random"
printf '\177ELF' >"$m/elf-magic-only"
addcase notcore-empty notcore 2 none "$m/empty"
addcase notcore-random notcore 2 none "$m/random"
addcase notcore-text notcore 2 none "$m/not-elf.txt"
addcase notcore-elf-magic notcore 2 none "$m/elf-magic-only"
addcase notcore-directory notcore 2 none "$m"
addcase notcore-missing notcore 2 none "$m/no-such-core"
addcase notcore-executable notcore 2 none /bin/ls
addcase notcore-go-executable notcore 2 none "$first_exe"
addcase notcore-go-executable-with-exe notcore 2 none "$first_exe" "$first_exe"

# A core of a C program, made now: the kernel's (file core_pattern), else gdb.
ccore=""
mkdir -p "$m/c"
if printf '#include <stdlib.h>\nint main(void) { abort(); }\n' >"$m/c/abort.c" &&
	${CC:-cc} -g -o "$m/c/abort" "$m/c/abort.c" 2>"$m/c/cc.err"; then
	pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo core)
	if [[ $pattern != '|'* ]] && [[ $pattern != /* ]]; then
		(cd "$m/c" && ulimit -c unlimited 2>/dev/null && exec ./abort) 2>/dev/null
		ccore=$(find "$m/c" -maxdepth 1 -name 'core*' -type f | head -1)
	fi
	if [ -z "$ccore" ] && command -v gdb >/dev/null; then
		(cd "$m/c" && gdb -nx -batch -ex run -ex 'gcore gcore.core' ./abort >gdb.log 2>&1)
		[ -s "$m/c/gcore.core" ] && ccore=$m/c/gcore.core
	fi
else
	setup_fail "cannot compile a C program: $(head -1 "$m/c/cc.err")"
fi
if [ -n "$ccore" ]; then
	addcase notcore-c-program notcore 2 none "$ccore"
	addcase notcore-c-program-with-exe notcore 2 none "$ccore" "$m/c/abort"
else
	echo "SKIP notcore-c-program: no core of a C program (core_pattern '$(cat /proc/sys/kernel/core_pattern 2>/dev/null)', no gdb)"
fi

# ---- run everything, in parallel -----------------------------------------------
t1=$(date +%s)
echo "badinput: $(wc -l <"$cases") cases ($JOBS at a time, gocore = $GOCORE)"
tr '\n' '\0' <"$cases" | sed -z 's/\t/\x01/g' |
	xargs -0 -P "$JOBS" -n 1 bash -c 'IFS=$'"'"'\001'"'"' read -r -a a <<<"$1"; exec bash "$0" --case "${a[@]}"' "$0"
t2=$(date +%s)

for f in $(ls "$WORK/res" | sort -V); do grep -v '^RC ' "$WORK/res/$f"; done
passed=$(cat "$WORK/res/"* | grep -c '^PASS')
failed=$(cat "$WORK/res/"* | grep -c '^FAIL')
failed=$((failed + setup_failed))
echo "exit codes:"
cat "$WORK/res/"* | awk '/^RC /{n[$2" exit "$3]++} END{for(k in n) printf "    %-16s %d\n", k, n[k]}' | sort
echo "badinput: setup $((t1 - t0))s, runs $((t2 - t1))s, total $((t2 - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
