#!/bin/sh
# Builds the seed corpora of the fuzz targets under cache/fuzz/seeds/<target>/
# (git-ignored) from the real cores and executables that tests/e2e.sh leaves
# in cache/e2e*/NAME/{core,exe}:  make && tests/e2e.sh chans  gives one.
#
#   core:    the first 64 KiB of cores (ELF header, program headers, notes),
#            kernel- and gdb-written, PIE; and of a compacted core
#   exe:     the first 64 KiB of executables with their section headers,
#            .shstrtab and part of .symtab/.strtab appended (seedtool.py exe)
#   pclntab: .gopclntab of the test programs (go1.19, ~270 KiB), with 1.20
#            (magic 0xfffffff1) and 1.26 (textStart 0) variants
#   types:   [runtime.types, runtime.etypes) + .typelink, behind the
#            fuzz_types header (seedtool.py types)
#   walk:    cores of the chans program compacted by mincore.py (~0.5 MiB;
#            gocore prints the same dump from them, checked here) and
#            walk.exe, the stripped executable fuzz_walk reads them with
set -eu
cd "$(dirname "$0")/.."
S=cache/fuzz/seeds
PY=${PYTHON:-python3}
rm -rf "$S"
mkdir -p "$S/core" "$S/exe" "$S/pclntab" "$S/types" "$S/walk"

found=0
for dir in cache/e2e*/*/; do
	[ -f "$dir/core" ] || continue
	found=1
	v=$(basename "$(dirname "$dir")"); n=$(basename "$dir")
	head -c 65536 "$dir/core" >"$S/core/$v.$n"
	if [ -f "$dir/exe" ]; then
		$PY fuzz/seedtool.py exe "$dir/exe" "$S/exe/$v.$n" 2>/dev/null || true
	fi
done
[ "$found" = 1 ] || { echo "fuzz/seeds.sh: no cores in cache/e2e*/ (run: make && tests/e2e.sh chans)" >&2; exit 1; }
for x in cache/e2e/*/exe.stripped cache/npm/*/exe; do
	[ -f "$x" ] || continue
	n=$(echo "$x" | tr / _)
	$PY fuzz/seedtool.py exe "$x" "$S/exe/$n" 2>/dev/null || true
done
# Identical inputs are one seed.
for d in core exe; do
	ls "$S/$d" | while read -r f; do
		[ -f "$S/$d/$f" ] || continue
		for g in "$S/$d"/*; do
			if [ "$g" != "$S/$d/$f" ] && cmp -s "$S/$d/$f" "$g"; then rm -f "$g"; fi
		done
	done
done

for n in chans demo; do
	exe=cache/e2e/$n/exe
	[ -f "$exe" ] || continue
	$PY fuzz/seedtool.py pclntab "$exe" "$S/pclntab/$n" $((512 * 1024))
	$PY fuzz/seedtool.py types "$exe" "$S/types/$n"
done

# fuzz_walk: the chans program (any program would do; one executable per
# target run).  Kernel and gdb cores of the same executable.
W=cache/e2e/chans
if [ -f "$W/core" ] && [ -f "$W/exe.stripped" ]; then
	cp "$W/exe.stripped" "$S/walk.exe"
	for c in "$W/core" cache/e2e-gdb/chans/core; do
		[ -f "$c" ] || continue
		cmp -s cache/e2e-gdb/chans/exe "$W/exe" || [ "$c" = "$W/core" ] || continue
		out="$S/walk/$(echo "$c" | cut -d/ -f2).chans"
		$PY fuzz/mincore.py "$c" "$out"
		if [ -x build/gocore ]; then
			build/gocore goroutines "$c" "$S/walk.exe" >"$S/full.txt" 2>/dev/null || true
			build/gocore goroutines "$out" "$S/walk.exe" >"$S/min.txt" 2>/dev/null || true
			cmp -s "$S/full.txt" "$S/min.txt" ||
				echo "fuzz/seeds.sh: note: gocore reads $out differently from $c" >&2
			rm -f "$S/full.txt" "$S/min.txt"
		fi
	done
else
	echo "fuzz/seeds.sh: no $W/{core,exe.stripped}: fuzz_walk has no seeds (run: tests/e2e.sh chans)" >&2
fi
for d in core exe pclntab types walk; do
	printf '%-8s %3d files, %s\n' "$d" "$(ls "$S/$d" | wc -l)" "$(du -sh "$S/$d" | cut -f1)"
done
