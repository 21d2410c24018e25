#!/bin/sh
# Builds build/gocore_<version>_<arch>.deb from the checked-out commit
# (`make deb`): gocore built afresh with Debian's hardening flags, stripped,
# with its man page, bash completion, copyright and changelog.
#
# The version comes from `git describe --always --dirty` (what `gocore
# --version` prints): a tag v1.2.3 gives 1.2.3-1, commits after it
# 1.2.3+git<date>.<n>.<hash>-1; with no tag, 0.0~git<date>.<hash>-1
# (<date> is the commit's); uncommitted changes add +dirty.  Depends is
# what dpkg-shlibdeps finds for the libraries gocore links.
set -eu
cd "$(dirname "$0")/.."
make=${MAKE:-make}
scripts/deps.sh package

describe=$(git describe --always --dirty 2>/dev/null) ||
	{ echo "deb.sh: not a git checkout; the package version comes from git describe" >&2; exit 1; }
date=$(git log -1 --format=%cd --date=format:%Y%m%d)
hash=$(git rev-parse --short HEAD)
plain=${describe%-dirty}
if tag=$(git describe --abbrev=0 2>/dev/null); then
	n=$(git rev-list --count "$tag..HEAD")
	# A tag's '-' (1.0-rc1) sorts before the release as '~' does.
	upstream=$(printf %s "${tag#v}" | tr - '~')
	[ "$n" = 0 ] || upstream="$upstream+git$date.$n.$hash"
fi
case ${upstream:-} in
[0-9]*) ;;
*) upstream="0.0~git$date.$hash" ;; # no tag, or one that is not a version
esac
[ "$plain" = "$describe" ] || upstream="$upstream+dirty"
version="$upstream-1"
dpkg --validate-version "$version"
arch=$(dpkg --print-architecture)

# build/deb: a scratch tree for dpkg-shlibdeps (debian/control, and the
# package's files in debian/gocore as debhelper lays them out).
scratch=build/deb
root=$scratch/debian/gocore
rm -rf "$scratch"
mkdir -p "$root/DEBIAN"
umask 022

export DEB_BUILD_MAINT_OPTIONS=hardening=+all
# CPPFLAGS (_FORTIFY_SOURCE) go with CFLAGS: the Makefile has no CPPFLAGS.
$make -s -j"$(nproc)" BUILD="$scratch/build" VERSION="$describe" \
	CFLAGS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS)" \
	LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
	install DESTDIR="$PWD/$root" PREFIX=/usr
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/gocore"
gzip -9n "$root/usr/share/man/man1/gocore.1"

doc=$root/usr/share/doc/gocore
install -d "$doc"
first=$(git log --reverse --format=%cd --date=format:%Y | head -n 1)
last=$(git log -1 --format=%cd --date=format:%Y)
[ "$first" = "$last" ] || first="$first-$last"
maintainer="gocore developers <gocore@gocore.invalid>"
# The source tree has no license file and no license notice: say so, and
# grant nothing that was not granted.
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: gocore
Upstream-Contact: $maintainer
Comment: Built by gocore's scripts/deb.sh from git commit $hash.

Files: *
Copyright: $first gocore developers
License: no-license-granted
 gocore's source tree has no license file, and none of its files carries a
 license notice. No license to copy, modify or redistribute gocore has
 been granted: all rights are reserved by its copyright holders. This
 package is meant for installing gocore on one's own machines.
EOF
dirty=
[ "$plain" = "$describe" ] || dirty=", with uncommitted changes"
cat >"$scratch/changelog" <<EOF
gocore ($version) UNRELEASED; urgency=medium

  * Built by make deb from git commit $hash$dirty.

 -- $maintainer  $(git log -1 --format=%cD)
EOF
gzip -9n <"$scratch/changelog" >"$doc/changelog.Debian.gz"

cat >"$scratch/debian/control" <<EOF
Source: gocore

Package: gocore
Architecture: any
EOF
depends=$(cd "$scratch" && dpkg-shlibdeps -O debian/gocore/usr/bin/gocore | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

(cd "$root" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: gocore
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: devel
Priority: optional
Description: goroutine dump from the core dump of a Go program
 gocore reads a Linux core dump of a Go program, together with its
 executable, and prints what every goroutine was doing, in the Go runtime's
 own traceback format. It also summarises goroutines by stack, shows what
 blocked goroutines wait on, finds goroutines that can never wake, and
 writes goroutine profiles for go tool pprof.
 .
 It reads amd64, arm64, riscv64 and loong64 programs built by Go 1.18 to
 1.27, stripped or not, and cores compressed by systemd-coredump. It needs
 no Go toolchain and no live process.
EOF

rm -f build/gocore_*.deb
out=build/gocore_${version}_$arch.deb
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) dpkg-deb --build --root-owner-group "$root" "$out" >/dev/null
echo "$out"
