#!/usr/bin/env bash
# kernel-core.sh ARCH NAME — a core written by the Linux kernel itself (not
# qemu-user) for the testdata program NAME built for ARCH (arm64), and
# gocore checked on it.
#
# qemu-user writes its own cores (NT_PRSTATUS, NT_PRPSINFO and NT_AUXV
# only); a kernel's core also has NT_SIGINFO, NT_FILE, NT_FPREGSET and the
# architecture's own notes, in the kernel's order.  To get one on an amd64
# machine this boots Debian's kernel for ARCH under qemu-system (software
# emulation, TCG) with an initramfs of its own:
#
#   1. kernel   Debian's linux-image-ARCH (GOCORE_KCORE_SUITE, default
#               bookworm, and its security updates), fetched with `apt-get
#               download` through an apt state of its own in
#               cache/kcore-ARCH/apt (the machine's apt sources, lists and
#               architectures are left alone), its vmlinuz unpacked (and
#               decompressed when it is gzip or an EFI zboot image) to
#               cache/kcore-ARCH/kernel/Image; kept until that folder is
#               deleted.  qemu-system-aarch64 is Debian's qemu-system-arm,
#               installed with apt-get when run as root (scripts/deps.sh
#               test lists it).
#   2. program  testdata/NAME cross-built as crash.sh does (GOARCH=ARCH
#               CGO_ENABLED=0, Go from tests/toolchain.sh $GOCORE_GO,
#               default 1.27): DIR/exe.  Programs that need cgo, or whose
#               spec's `go` line leaves the toolchain out: exit 77.
#   3. initramfs  tests/kernel-core/init.go built static for ARCH as /init,
#               /exe, /spec (the e2e.spec's args, env, signal QUIT and
#               timeout), /dev/console and /dev/null, written by
#               tests/kernel-core/initramfs.py.  /init mounts /proc, brings
#               up lo, sets core_pattern to /core and RLIMIT_CORE
#               unlimited, runs /exe with GOTRACEBACK=crash, then prints its
#               stderr, stdout and core on the serial console (gzip,
#               base64, between GOCORE-KCORE lines) and powers off.
#   4. boot     qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on
#               (every feature the emulator has: SVE and pointer
#               authentication notes in the core; impdef: a cheaper PAC
#               hash) -smp 2 -m 1024, no network card, no disk, with a
#               timeout; the console goes to DIR/console.log, from which
#               DIR/{oracle.txt,stdout.txt,core} are decoded and their
#               sizes and sha256 sums checked.  The
#               oracle must show what the spec's expect lines require.
#               Cached: booted again when the exe, the spec, init.go, the
#               kernel, the emulator or its settings changed (crash.ok), or
#               GOCORE_RECRASH=1.
#   5. checks   readelf -h: an ELF64 core of ARCH's machine; readelf -n:
#               NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV and NT_FILE,
#               whose files include /exe (the guest's path).  Then, unless
#               GOCORE=none: `gocore goroutines core exe` (exit 0; 3 with a
#               spec `gaps` line) and tests/compare.py at e2e.sh's
#               thresholds (--relay-stacks), and `gocore overview --json`:
#               goarch ARCH, the signal of the oracle's `[signal SIGx` (or
#               of a signal dump's banner), and the core's signal from
#               NT_SIGINFO: SIGABRT sent by tgkill (si_code SI_TKILL, -6),
#               the runtime's final raise.
#
# DIR is cache/kcore-ARCH/NAME (GOCORE_KCORE_DIR replaces cache/kcore-ARCH
# there; the kernel stays in cache/kcore-ARCH/kernel).
# Prints PASS/FAIL lines and "N passed, M failed"; exit 1 when M > 0, 2
# usage, 77 not applicable.
#
# Environment: GOCORE_GO (default 1.27), GOCORE (default build/gocore;
# "none": no gocore checks), GOCORE_RECRASH=1, GOCORE_CRASH_TIMEOUT
# (seconds the program may run in the guest; default the spec's timeout,
# else 60), GOCORE_KCORE_TIMEOUT (seconds for the whole boot beyond that,
# default 600), GOCORE_KCORE_CPU (default max,pauth-impdef=on; e.g.
# cortex-a57 for a core without SVE and PAC notes), GOCORE_KCORE_SMP (default
# 2), GOCORE_KCORE_MEM (MiB, default 1024; the core is held in the
# initramfs's RAM), GOCORE_KCORE_SUITE, GOCORE_KCORE_MIRROR (default
# http://deb.debian.org/debian; security updates from
# GOCORE_KCORE_SECURITY_MIRROR, default http://deb.debian.org/debian-security,
# "none" to leave them out), GOCORE_E2E_TIMEOUT and the thresholds of
# tests/lib/runner.sh.  Costs (2-CPU machine): a boot, crash and transfer
# of a small program takes 4 to 10 s (TCG), `many` (a 35 MB core) 42 s;
# the first run also fetches the kernel package (60 MB; only the Image, 32
# MB, is kept) and builds the program.  `overflow` (a 1 GB core) does not
# fit in the guest's memory.
set -u
set -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
prog=kernel-core.sh
[ $# -eq 2 ] || { echo "usage: $prog arm64 NAME   (a directory testdata/NAME with an e2e.spec)" >&2; exit 2; }
arch=$1
name=$2
case $arch in
arm64)
	debarch=arm64 qemu_bin=qemu-system-aarch64 qemu_pkg=qemu-system-arm
	machine=183 machine_name=AArch64 console=ttyAMA0
	qemu_machine=(-M virt -cpu "${GOCORE_KCORE_CPU:-max,pauth-impdef=on}")
	;;
*) echo "$prog: unknown architecture '$arch' (arm64)" >&2; exit 2 ;;
esac
GOCORE=${GOCORE:-build/gocore}
# shellcheck source=tests/lib/runner.sh
. "$ROOT/tests/lib/runner.sh"
# shellcheck source=tests/lib/cores.sh
. "$ROOT/tests/lib/cores.sh"
die() { fail "$name/${stage:-setup}" "$*"; finish; }
note() { echo "$prog: $name: $*" >&2; }

src="testdata/$name"
spec="$src/e2e.spec"
[ -f "$spec" ] || { echo "$prog: no $spec" >&2; exit 2; }
gover=${GOCORE_GO:-1.27}
# the kernel (and its apt state) in cache/kcore-ARCH, the results in
# GOCORE_KCORE_DIR (default the same)/NAME
top="$ROOT/cache/kcore-$arch"
res=${GOCORE_KCORE_DIR:-$top}
case $res in /*) ;; *) res="$ROOT/$res" ;; esac
dir="$res/$name"
mkdir -p "$dir" "$top" || die "cannot create $dir"
for t in readelf python3 gzip base64 sha256sum timeout dpkg-deb apt-get flock od; do
	command -v "$t" >/dev/null || die "$t not found (Debian: binutils, python3, gzip, coreutils, dpkg, apt, util-linux)"
done

# ---- spec (as tests/crash.sh reads it; applies: tests/lib/cores.sh) -------------
na() { echo "N/A  $name: $*"; exit 77; }
build=go signal="" gaps="" tmo=60
args=() runenv=() buildenv=() expects=()
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%%#*}
	read -r key rest <<<"$line" || true
	[ -n "${key:-}" ] || continue
	case $key in
	build) build=$rest ;;
	args) read -r -a args <<<"$rest" ;;
	signal) signal=$rest ;;
	timeout) [[ $rest =~ ^[0-9]+$ ]] || die "$spec: timeout needs seconds"; tmo=$rest ;;
	gaps) gaps=$rest ;;
	stack | qemuenv) ;; # e2e.sh's; qemu-user's only
	expect) expects+=("$rest") ;;
	go) applies "$rest" || { [ $? -eq 1 ] && na "not for Go $gover (its spec says: go $rest)"; die "$spec: bad release list in 'go $rest'"; } ;;
	env) runenv+=("$rest") ;;
	buildenv) buildenv+=("$rest") ;;
	buildenv@* | env@* | expect@*)
		applies "${key#*@}" || { [ $? -eq 1 ] && continue; die "$spec: bad release list in '$key'"; }
		case $key in
		buildenv@*) buildenv+=("$rest") ;;
		env@*) runenv+=("$rest") ;;
		*) expects+=("$rest") ;;
		esac ;;
	*) die "$spec: unknown key '$key'" ;;
	esac
done <"$spec"
tmo=${GOCORE_CRASH_TIMEOUT:-$tmo}
case $build in go | test) ;; c-*) na "build $build needs cgo and a C host" ;; *) die "$spec: unknown build '$build'" ;; esac
case $signal in "" | QUIT) ;; *) die "$spec: only 'signal QUIT' is supported" ;; esac
grep -lqE '^import "C"|^[[:space:]]+"C"$' "$src"/*.go 2>/dev/null && na "needs cgo (import \"C\"): the guest runs static programs only"

# ---- 1. the kernel and the emulator ------------------------------------------
stage=kernel
kdir="$top/kernel"
if [ ! -s "$kdir/Image" ] || [ ! -s "$kdir/VERSION" ]; then
	exec 9>"$top/.lock"
	flock 9 || die "cannot lock $top/.lock"
fi
if [ ! -s "$kdir/Image" ] || [ ! -s "$kdir/VERSION" ]; then
	suite=${GOCORE_KCORE_SUITE:-bookworm}
	mirror=${GOCORE_KCORE_MIRROR:-http://deb.debian.org/debian}
	secmirror=${GOCORE_KCORE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || die "$keyring is missing (Debian: debian-archive-keyring)"
	apt="$top/apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl" || die "cannot create $apt"
	{
		echo "deb [arch=$debarch signed-by=$keyring] $mirror $suite main"
		[ "$secmirror" = none ] || echo "deb [arch=$debarch signed-by=$keyring] $secmirror $suite-security main"
	} >"$apt/sources.list"
	opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		-o "APT::Architecture=$debarch" -o "APT::Architectures::=$debarch"
		-o APT::Sandbox::User=root -q)
	note "fetching Debian $suite's $debarch kernel into $kdir"
	apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || {
		tail -5 "$apt/update.log" >&2
		die "cannot read Debian $suite's $debarch package lists; the command was: apt-get ${opts[*]} update"
	}
	# linux-image-arm64 depends on the current linux-image-VERSION-arm64
	pkg=$(apt-cache "${opts[@]}" depends "linux-image-$debarch" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$debarch\)\$/\1/p" | head -1)
	[ -n "$pkg" ] || die "cannot find the kernel package linux-image-$debarch depends on (apt-cache ${opts[*]} depends linux-image-$debarch)"
	rm -f "$apt/dl"/*.deb
	(cd "$apt/dl" && apt-get "${opts[@]}" download "$pkg") >"$apt/download.log" 2>&1 || {
		tail -5 "$apt/download.log" >&2
		die "cannot download $pkg; the command was: (cd $apt/dl && apt-get ${opts[*]} download $pkg)"
	}
	deb=""
	for f in "$apt/dl/$pkg"_*.deb; do [ -f "$f" ] && deb=$f; done
	[ -n "$deb" ] || die "apt-get download $pkg left no .deb in $apt/dl"
	ver=$(dpkg-deb -f "$deb" Version) || die "cannot read $deb"
	tmp="$top/kernel.new"
	rm -rf "${tmp:?}"
	mkdir -p "$tmp" || die "cannot create $tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' './boot/config-*' ||
		die "cannot unpack the kernel from $deb (dpkg-deb --fsys-tarfile $deb | tar -x ./boot/vmlinuz-*)"
	vmlinuz=""
	for f in "$tmp"/boot/vmlinuz-*; do [ -f "$f" ] && vmlinuz=$f; done
	[ -n "$vmlinuz" ] || die "$deb has no /boot/vmlinuz-*"
	magic() { od -An -tx1 -j"$2" -N"$3" "$1" | tr -d ' \n'; }
	le32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }
	# What the vmlinuz is: an arm64 Image ("ARMd" at 56), gzip, or an EFI
	# zboot image ("MZ", "zimg" at 4: the payload's offset and size at 8
	# and 12, its compression's name at 24).
	case "$(magic "$vmlinuz" 0 2)" in
	1f8b) gzip -dc "$vmlinuz" >"$tmp/Image" || die "cannot gunzip $vmlinuz" ;;
	4d5a)
		if [ "$(magic "$vmlinuz" 4 4)" = 7a696d67 ]; then
			off=$(le32 "$vmlinuz" 8) size=$(le32 "$vmlinuz" 12)
			comp=$(dd if="$vmlinuz" bs=1 skip=24 count=32 status=none | tr -d '\0')
			case $comp in
			gzip) dec=(gzip -dc) ;;
			zstd) dec=(zstd -dc) ;;
			xz) dec=(xz -dc) ;;
			lzma) dec=(xz --format=lzma -dc) ;;
			*) die "$vmlinuz is an EFI zboot image compressed with '$comp', which this does not unpack" ;;
			esac
			command -v "${dec[0]}" >/dev/null || die "${dec[0]} is missing: it unpacks $vmlinuz"
			tail -c +$((off + 1)) "$vmlinuz" | head -c "$size" | "${dec[@]}" >"$tmp/Image" ||
				die "cannot unpack the EFI zboot payload of $vmlinuz ($comp, $size bytes at $off)"
		else
			cp "$vmlinuz" "$tmp/Image" || die "cannot copy $vmlinuz"
		fi ;;
	*) cp "$vmlinuz" "$tmp/Image" || die "cannot copy $vmlinuz" ;;
	esac
	[ "$(magic "$tmp/Image" 56 4)" = 41524d64 ] || die "$vmlinuz is no arm64 Image (no 'ARMd' magic at offset 56 once unpacked)"
	mv "$tmp"/boot/config-* "$tmp/config" 2>/dev/null
	rm -rf "${tmp:?}/boot"
	echo "$pkg $ver ($suite)" >"$tmp/VERSION"
	rm -rf "${kdir:?}"
	mv "$tmp" "$kdir" || die "cannot move $tmp to $kdir"
	rm -f "$deb"
	note "kernel: $(cat "$kdir/VERSION")"
fi
exec 9>&-
kernel_ver=$(cat "$kdir/VERSION")

qemu=/usr/bin/$qemu_bin
if [ ! -x "$qemu" ]; then
	if [ "$(id -u)" = 0 ]; then
		note "installing Debian's $qemu_pkg"
		{ DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$qemu_pkg"; } >&2 ||
			die "apt-get install -y $qemu_pkg failed"
	else
		die "$qemu is missing: install it with: sudo apt-get install -y $qemu_pkg"
	fi
fi
[ -x "$qemu" ] || die "$qemu_pkg is installed, but $qemu is not there"
qemu_ver=$("$qemu" --version 2>/dev/null | head -1)
[ -n "$qemu_ver" ] || die "$qemu --version failed"

# ---- 2. the program and /init --------------------------------------------------
stage=build
go=$("$ROOT/tests/toolchain.sh" "$gover") || die "no Go $gover toolchain (see the message above)"
built="$gover $arch"
exe="$dir/exe"
genv=(GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off GOARCH="$arch" CGO_ENABLED=0)
if [ ! -x "$exe" ] || [ "$(cat "$dir/toolchain" 2>/dev/null)" != "$built" ] ||
	[ -n "$(find "$src" testdata/go.mod \( -name "*.go" -o -name go.mod -o -name e2e.spec \) -newer "$exe" -print -quit)" ]; then
	note "building ($build, $("$go" env GOVERSION), GOARCH=$arch)"
	rm -f "$exe" "$dir/init"
	# as crash.sh: Go 1.21+ builds through a go.work of that release
	if [ "$gover" != 1.19 ]; then
		printf 'go %s\n\nuse %s\n' "$gover" "$ROOT/testdata" >"$dir/go.work"
		genv=(GOTOOLCHAIN=local GOFLAGS= GOWORK="$dir/go.work" GOARCH="$arch" CGO_ENABLED=0)
	fi
	if [ "$build" = test ]; then
		(cd testdata && env "${genv[@]}" "${buildenv[@]}" "$go" test -c -o "$exe" "./$name") || die "go test -c failed"
	else
		(cd testdata && env "${genv[@]}" "${buildenv[@]}" "$go" build -o "$exe" "./$name") || die "go build failed"
	fi
	echo "$built" >"$dir/toolchain"
fi
init_src="$ROOT/tests/kernel-core/init.go"
if [ ! -x "$dir/init" ] || [ "$init_src" -nt "$dir/init" ] || [ "$dir/toolchain" -nt "$dir/init" ]; then
	# a lone file of the standard library's packages: no module needed
	(cd "$ROOT/tests/kernel-core" && env GOTOOLCHAIN=local GOFLAGS= GOWORK=off GOARCH="$arch" CGO_ENABLED=0 \
		"$go" build -trimpath -ldflags='-s -w' -o "$dir/init" init.go) || die "cannot build $init_src"
fi

# ---- 3. the initramfs ------------------------------------------------------------
{
	for a in "${args[@]}"; do echo "arg $a"; done
	for e in "${runenv[@]}"; do echo "env $e"; done
	[ -z "$signal" ] || echo "signal $signal"
	echo "timeout $tmo"
} >"$dir/guest.spec.new"
if cmp -s "$dir/guest.spec.new" "$dir/guest.spec"; then rm -f "$dir/guest.spec.new"; else mv "$dir/guest.spec.new" "$dir/guest.spec"; fi
# written every time (the same inputs give the same bytes), replaced only
# when it changed: a newer initrd.gz boots again
initrd="$dir/initrd.gz"
python3 tests/kernel-core/initramfs.py "$initrd.new" dir:dev chr:dev/console=5,1 chr:dev/null=1,3 dir:proc \
	file:init="$dir/init" file:exe="$exe" file:spec="$dir/guest.spec" || die "cannot write $initrd.new"
if cmp -s "$initrd.new" "$initrd"; then rm -f "$initrd.new"; else mv -f "$initrd.new" "$initrd"; fi

# ---- 4. the boot -------------------------------------------------------------------
stage=boot
smp=${GOCORE_KCORE_SMP:-2}
mem=${GOCORE_KCORE_MEM:-1024}
boot_tmo=$((${GOCORE_KCORE_TIMEOUT:-600} + tmo))
# crash.ok: what booted (another kernel, emulator or machine boots again)
want_ok="$kernel_ver
$qemu_ver
${qemu_machine[*]} -smp $smp -m $mem"
check_oracle() { oracle_covers "$dir/oracle.txt"; }
cached=0
if [ "${GOCORE_RECRASH:-0}" != 1 ] && [ -f "$dir/crash.ok" ] && [ -s "$dir/core" ] && [ -s "$dir/oracle.txt" ] &&
	[ "$(cat "$dir/crash.ok")" = "$want_ok" ] && [ -z "$(find "$initrd" "$spec" -newer "$dir/crash.ok" -print -quit)" ]; then
	cached=1
fi
if [ $cached = 0 ]; then
	rm -f "$dir/crash.ok" "$dir/core" "$dir/oracle.txt" "$dir/stdout.txt" "$dir/console.log" "$dir/qemu.log"
	note "booting $kernel_ver under $qemu_bin ($((boot_tmo))s at most)"
	t0=$(date +%s)
	timeout "$boot_tmo" "$qemu" "${qemu_machine[@]}" -smp "$smp" -m "$mem" \
		-display none -monitor none -serial "file:$dir/console.log" -nic none -no-reboot \
		-kernel "$kdir/Image" -initrd "$initrd" \
		-append "console=$console panic=-1 loglevel=1" </dev/null >"$dir/qemu.log" 2>&1
	rc=$?
	echo $(($(date +%s) - t0)) >"$dir/boot.secs"
	# the console's last lines, without the base64 ones
	console_tail() { grep -avE '^[A-Za-z0-9+/=]{8,}$' "$dir/console.txt" | tail -"$1" >&2; }
	tr -d '\r' <"$dir/console.log" >"$dir/console.txt" 2>/dev/null
	if [ $rc = 124 ]; then
		console_tail 15
		die "$qemu_bin did not power off within ${boot_tmo}s (GOCORE_KCORE_TIMEOUT); the console above ($dir/console.log)"
	fi
	if [ $rc != 0 ]; then
		tail -5 "$dir/qemu.log" >&2
		die "$qemu_bin exited $rc ($dir/qemu.log above)"
	fi
	grep -q '^GOCORE-KCORE START' "$dir/console.txt" || { console_tail 25; die "the guest's /init never started; the console ends as above"; }
	if grep -q '^GOCORE-KCORE ERROR' "$dir/console.txt"; then
		grep '^GOCORE-KCORE ERROR' "$dir/console.txt" >&2
		die "the guest's /init failed (above)"
	fi
	grep -q '^GOCORE-KCORE DONE' "$dir/console.txt" || { console_tail 15; die "the guest's /init did not finish; the console ends as above"; }
	# decode NAME FILE: the BEGIN NAME ... END NAME block of the console
	decode() {
		local head size sum got
		head=$(grep -m1 "^GOCORE-KCORE BEGIN $1 " "$dir/console.txt") || {
			grep "^GOCORE-KCORE MISSING $1 " "$dir/console.txt" >&2
			note "the guest sent no $1"
			return 1
		}
		read -r _ _ _ size sum <<<"$head"
		awk -v b="GOCORE-KCORE BEGIN $1 " -v e="GOCORE-KCORE END $1" \
			'index($0, b) == 1 { on = 1; next } $0 == e { exit } on' "$dir/console.txt" |
			base64 -d | gzip -dc >"$2.new" || { note "cannot decode the $1 the guest sent"; return 1; }
		got=$(stat -c %s "$2.new")
		[ "$got" = "$size" ] || { note "the $1 the guest sent has $got bytes, not $size"; return 1; }
		[ "$(sha256sum <"$2.new" | cut -d' ' -f1)" = "$sum" ] || { note "the $1 the guest sent does not match its sha256"; return 1; }
		mv -f "$2.new" "$2"
	}
	decode oracle "$dir/oracle.txt" || die "see above ($dir/console.log)"
	decode stdout "$dir/stdout.txt" || die "see above ($dir/console.log)"
	exit_line=$(sed -n 's/^GOCORE-KCORE EXIT //p' "$dir/console.txt")
	if [ "$exit_line" != "signal 6 core" ]; then
		tail -5 "$dir/oracle.txt" >&2
		die "expected the program to die of SIGABRT with a core, got: ${exit_line:-nothing}; its stderr ends as above"
	fi
	decode core "$dir/core" || die "see above ($dir/console.log)"
	# the kernel skips pages never touched: keep the core sparse here too
	if command -v fallocate >/dev/null; then fallocate -d "$dir/core" 2>/dev/null || true; fi
	sed -n 's/^GOCORE-KCORE KERNEL //p' "$dir/console.txt" >"$dir/kernel.txt"
	check_oracle || die "the oracle ($dir/oracle.txt) does not show what $spec expects"
	printf '%s\n' "$want_ok" >"$dir/crash.ok"
	rm -f "$dir/console.txt"
	how="booted in $(cat "$dir/boot.secs")s"
else
	check_oracle || die "cached oracle.txt fails its expectations (GOCORE_RECRASH=1 to redo)"
	how="cached; the boot took $(cat "$dir/boot.secs" 2>/dev/null || echo '?')s"
fi
pass "$name/crash" "$how, core $(du -h "$dir/core" | cut -f1) ($(stat -c %s "$dir/core") bytes), $(grep -cE '^goroutine [0-9]+ ' "$dir/oracle.txt") goroutine blocks in oracle; $(sed 's/ (.*//' "$dir/kernel.txt" 2>/dev/null)"

# ---- 5. the core ---------------------------------------------------------------------
stage=core
h=$(readelf -h "$dir/core" 2>&1)
if ! grep -qE '^ *Class: +ELF64$' <<<"$h" || ! grep -qE '^ *Type: +CORE' <<<"$h" ||
	! grep -qE "^ *Machine: +$machine_name\$" <<<"$h"; then
	fail "$name/core" "$dir/core is not an ELF64 $machine_name core (machine $machine); readelf -h says:"
	grep -E 'Class|Type|Machine' <<<"$h" | indent
else
	n=$(readelf -n "$dir/core" 2>&1)
	# the notes in file order: NT_ names, else the type readelf did not know
	notes=$(awk '$1 == "CORE" || $1 == "LINUX" || $1 == "GNU" {
		if ($3 ~ /^NT_/) print $3; else if (match($0, /0x[0-9a-f]+\)/)) print "type" substr($0, RSTART, RLENGTH - 1); else print $3 }' <<<"$n")
	# the kernel writes the first thread's notes with the process's, then
	# each other thread's: "A,B,...; then per thread C,D" when those agree
	order=$(awk '$0 == "NT_PRSTATUS" { t++ } { b[t] = b[t] (b[t] == "" ? "" : ",") $0 }
		END { s = b[1]; same = 1; for (i = 3; i <= t; i++) if (b[i] != b[2]) same = 0
			if (t > 1 && same) s = s "; then per thread " b[2]
			else for (i = 2; i <= t; i++) s = s "; " b[i]
			print s }' <<<"$notes")
	missing=""
	for t in NT_PRSTATUS NT_PRPSINFO NT_SIGINFO NT_AUXV NT_FILE; do
		grep -qx "$t" <<<"$notes" || missing+=" $t"
	done
	if [ -n "$missing" ]; then
		fail "$name/core" "the kernel's core lacks$missing; its notes: ${order:-none}"
	elif ! files=$("$PY" tests/core_notes.py --json "$dir/core" | "$PY" -c '
import json, sys
print(" ".join(sorted(set(f["path"] for f in json.load(sys.stdin).get("files", [])))))'); then
		fail "$name/core" "tests/core_notes.py cannot read $dir/core"
	elif ! grep -qw /exe <<<"$files"; then
		fail "$name/core" "NT_FILE does not map /exe (the guest's path of the program), only: ${files:-nothing}"
	else
		pass "$name/core" "$(grep -cx NT_PRSTATUS <<<"$notes") threads, notes $order"
	fi
fi

# ---- 6. gocore -----------------------------------------------------------------------
if [ "$GOCORE" = none ]; then finish; fi
stage=gocore
runner_check_tools
ok_rc() { [ "$1" -eq 0 ] || { [ "$1" -eq 3 ] && [ -n "$gaps" ]; }; }
s=$(date +%s.%N)
timeout "$TMO" "$GOCORE" goroutines "$dir/core" "$exe" >"$dir/out.txt" 2>"$dir/gocore.err"
rc=$?
secs=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
if ok_rc "$rc"; then
	pass "$name/goroutines" "exit $rc in ${secs}s${gaps:+ (documented gaps: $gaps)}"
else
	fail "$name/goroutines" "$GOCORE goroutines $dir/core $dir/exe: exit $rc; stderr:"
	if [ -s "$dir/gocore.err" ]; then head -10 "$dir/gocore.err" | indent; else echo "    (empty)"; fi
fi
if out=$("$PY" tests/compare.py --name "$name" "${THRESHOLDS[@]}" "${EXTRA_FLAGS[@]}" "$dir/oracle.txt" "$dir/out.txt" 2>&1); then
	pass "$name/compare" "$(head -1 <<<"$out" | sed "s/^$name: //")"
else
	fail "$name/compare" "$(head -1 <<<"$out" | sed "s/^$name: //")"
	tail -n +2 <<<"$out" | head -20 | indent
fi

# overview: the oracle's signal, and the core's own from NT_SIGINFO
timeout "$TMO" "$GOCORE" overview "$dir/core" "$exe" >"$dir/overview.txt" 2>"$dir/overview.err"
rc=$?
timeout "$TMO" "$GOCORE" overview --json "$dir/core" "$exe" >"$dir/overview.json" 2>>"$dir/overview.err"
rc2=$?
if [ $rc != 0 ] || [ $rc2 != 0 ]; then
	fail "$name/overview" "$GOCORE overview exit $rc, --json exit $rc2; stderr:"
	head -10 "$dir/overview.err" | indent
else
	# the oracle's signal: "[signal SIGx" of a panic, else a signal dump's banner
	want_sig=$(sed -n 's/^\[signal \(SIG[A-Z0-9]*\).*/\1/p' "$dir/oracle.txt" | head -1)
	[ -n "$want_sig" ] || want_sig=$(sed -n 's/^\(SIG[A-Z0-9]*\): .*/\1/p' "$dir/oracle.txt" | head -1)
	if why=$("$PY" - "$dir/overview.json" "$arch" "$want_sig" <<-'EOF'
		import json, sys
		o = json.load(open(sys.argv[1]))
		want = {'goarch': sys.argv[2], 'core_signal': 'SIGABRT', 'core_signal_code': -6}
		if sys.argv[3]:
		    want['signal'] = sys.argv[3]
		bad = ['%s is %r, not %r' % (k, o.get(k), v) for k, v in want.items() if o.get(k) != v]
		print('; '.join(bad))
		sys.exit(1 if bad else 0)
	EOF
	); then
		pass "$name/overview" "$(grep -E '^(signal|core signal):' "$dir/overview.txt" | sed 's/  */ /g' | paste -sd';' | sed 's/;/; /g')"
	else
		fail "$name/overview" "overview --json: $why"
		grep -E '^(signal|core signal|crashed):' "$dir/overview.txt" | indent
	fi
fi
finish
