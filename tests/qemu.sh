#!/usr/bin/env bash
# qemu.sh ARCH — print the path of the qemu-user emulator that runs the
# tests' GOARCH=ARCH programs (arm64, riscv64 or loong64), getting it first
# when it is missing.
#
#   debian   Debian's own qemu-user (bookworm: 7.2), /usr/bin/qemu-aarch64,
#            qemu-riscv64, qemu-loongarch64; installed with apt-get when run
#            as root (scripts/deps.sh test lists it too).  Its cores: arm64
#            and loong64, never riscv64 (7.2 writes no guest core there).
#   fetched  the qemu-user package of a newer Debian suite
#            (GOCORE_QEMU_SUITE, default trixie-backports: qemu 11), fetched
#            with `apt-get download` through an apt state of its own in
#            cache/qemu/apt (the machine's apt sources and lists are left
#            alone), of which only the three statically linked emulators
#            are unpacked, into cache/qemu/bin/ (VERSION says which).
#            Nothing is installed.  Kept once fetched: delete cache/qemu/bin
#            to fetch again.  Needs qemu 11 or newer: trixie's 10.0 writes
#            no riscv64 core either.
#
# Which one (GOCORE_QEMU): auto (default) takes debian for arm64 and loong64
# and fetched for riscv64; debian or fetched forces one for every ARCH.
# The two write their notes in a different order, so both are worth
# having.  When the emulator cannot be had this exits 1 saying the command
# that failed; callers fail, never skip.
#
# Environment: GOCORE_QEMU, GOCORE_QEMU_SUITE, GOCORE_QEMU_DIR (default
# cache/qemu).
set -u
prog=qemu.sh
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $prog arm64|riscv64|loong64"
case $1 in
arm64) bin=qemu-aarch64 ;;
riscv64) bin=qemu-riscv64 ;;
loong64) bin=qemu-loongarch64 ;;
*) die "unknown architecture '$1' (arm64, riscv64 or loong64)" ;;
esac
way=${GOCORE_QEMU:-auto}
case $way in
auto) if [ "$1" = riscv64 ]; then way=fetched; else way=debian; fi ;;
debian | fetched) ;;
*) die "GOCORE_QEMU must be auto, debian or fetched (got '$way')" ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ "$way" = debian ]; then
	q=/usr/bin/$bin
	if [ ! -x "$q" ]; then
		if [ "$(id -u)" = 0 ]; then
			echo "$prog: installing Debian's qemu-user" >&2
			export DEBIAN_FRONTEND=noninteractive
			{ apt-get update -qq && apt-get install -y -qq qemu-user; } >&2 ||
				die "apt-get install -y qemu-user failed"
		else
			die "$q is missing: install it with: sudo apt-get install -y qemu-user"
		fi
	fi
	[ -x "$q" ] || die "qemu-user is installed, but $q is not there"
	echo "$q"
	exit 0
fi

# ---- fetched: a newer suite's qemu-user, unpacked, not installed -------------
suite=${GOCORE_QEMU_SUITE:-trixie-backports}
top=${GOCORE_QEMU_DIR:-$ROOT/cache/qemu}
case $top in /*) ;; *) top="$ROOT/$top" ;; esac
q="$top/bin/$bin"
if [ -x "$q" ] && [ -s "$top/bin/VERSION" ]; then
	echo "$q"
	exit 0
fi
mkdir -p "$top" || die "cannot create $top"
command -v flock >/dev/null || die "flock is missing (Debian: util-linux)"
# One fetch at a time: crash runs call this in parallel.
exec 9>"$top/.lock"
flock 9 || die "cannot lock $top/.lock"
if [ -x "$q" ] && [ -s "$top/bin/VERSION" ]; then # another run fetched it meanwhile
	echo "$q"
	exit 0
fi
apt="$top/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl" || die "cannot create $apt"
# The suite's key is in Debian's keyring (bookworm's debian-archive-keyring
# has trixie's keys).
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring is missing (Debian: debian-archive-keyring)"
mirror=${GOCORE_QEMU_MIRROR:-http://deb.debian.org/debian}
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt/sources.list"
opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=-
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o APT::Sandbox::User=root -q)
echo "$prog: fetching qemu-user from Debian $suite into $top" >&2
apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || {
	tail -5 "$apt/update.log" >&2
	die "cannot read Debian $suite's package list; the command was: apt-get ${opts[*]} update"
}
rm -f "$apt/dl"/*.deb
(cd "$apt/dl" && apt-get "${opts[@]}" download qemu-user) >"$apt/download.log" 2>&1 || {
	tail -5 "$apt/download.log" >&2
	die "cannot download qemu-user from Debian $suite; the command was: (cd $apt/dl && apt-get ${opts[*]} download qemu-user)"
}
deb=""
for f in "$apt/dl"/qemu-user_*.deb; do [ -f "$f" ] && deb=$f; done
[ -n "$deb" ] || die "apt-get download qemu-user left no .deb in $apt/dl"
ver=$(dpkg-deb -f "$deb" Version) || die "cannot read $deb (dpkg-deb -f $deb Version)"
# 1:11.1.3+ds-1~bpo13+1 -> 11
major=${ver#*:}
major=${major%%.*}
if ! [[ $major =~ ^[0-9]+$ ]] || [ "$major" -lt 11 ]; then
	die "Debian $suite has qemu-user $ver; the tests need 11 or newer (10.0 writes no riscv64 core): set GOCORE_QEMU_SUITE to a suite that has it (e.g. sid)"
fi
tmp="$top/bin.new"
rm -rf "${tmp:?}"
mkdir -p "$tmp" || die "cannot create $tmp"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/bin/qemu-aarch64 ./usr/bin/qemu-riscv64 ./usr/bin/qemu-loongarch64 ||
	die "cannot unpack the emulators; the command was: dpkg-deb --fsys-tarfile $deb | tar -x -C $tmp ./usr/bin/qemu-aarch64 ./usr/bin/qemu-riscv64 ./usr/bin/qemu-loongarch64"
mv "$tmp"/usr/bin/qemu-* "$tmp/" || die "cannot move the emulators in $tmp"
rm -rf "${tmp:?}/usr"
"$tmp/$bin" --version >/dev/null 2>&1 || die "$tmp/$bin does not run ($tmp/$bin --version failed)"
echo "$ver $suite" >"$tmp/VERSION"
rm -rf "${top:?}/bin"
mv "$tmp" "$top/bin" || die "cannot move $tmp to $top/bin"
rm -f "$deb"
echo "$prog: qemu-user $ver from Debian $suite in $top/bin" >&2
echo "$q"
