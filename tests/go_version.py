#!/usr/bin/env python3
"""go_version.py BINARY — print the Go release a Go executable was built with.

Output: one line "VERSION METHOD SYMBOLS", e.g. "go1.22.5 buildinfo stripped".  Needs no Go
toolchain (Debian's `go version -m` is too old for some formats, and cannot
read binaries that have no build info at all).

METHOD says where the version came from:
  buildinfo  the ".go.buildinfo" blob ("\\xff Go buildinf:" magic, Go 1.18+
             inline-string format); found by scanning the file, so it works
             with or without section headers
  rodata     no build info (some release pipelines drop it, e.g. esbuild
             0.27.7 and 0.28.2): the one string that looks exactly like a Go release
             ("go1.N" or "go1.N.M", optionally rcN/betaN) standing alone
             between non-printable bytes, as runtime.buildVersion's data does
             in a stripped binary.  Refused (exit 1) if there is not exactly
             one such candidate.
SYMBOLS is "stripped" (no .symtab, no DWARF), "symtab" (.symtab but no
DWARF) or "dwarf" (.debug_*/.zdebug_* sections), from the ELF section
headers ("unknown" if they cannot be read).
Exit status: 0 found, 1 not found or ambiguous, 2 usage or I/O error.
"""
import re
import struct
import sys

MAGIC = b'\xff Go buildinf:'
VERSION = re.compile(rb'go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?')
ALONE = re.compile(rb'(?<![\x20-\x7e])(go1\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)(?![\x20-\x7e])')


def uvarint(b, i):
    x = 0
    s = 0
    while i < len(b):
        c = b[i]
        i += 1
        x |= (c & 0x7f) << s
        if c < 0x80:
            return x, i
        s += 7
    raise ValueError('truncated varint')


def from_buildinfo(data):
    i = data.find(MAGIC)
    while i >= 0:
        # The blob is 16-byte aligned in the file as in memory; header is
        # magic(14) ptrsize(1) flags(1) then 16 bytes of (unused) pointers.
        if i % 16 == 0 and len(data) >= i + 33:
            flags = data[i + 15]
            if flags & 2:  # Go 1.18+: inline varint-prefixed strings
                n, j = uvarint(data, i + 32)
                v = data[j:j + n]
                if VERSION.fullmatch(v):
                    return v.decode()
        i = data.find(MAGIC, i + 1)
    return None


def from_rodata(data):
    cands = sorted(set(m.group(1).decode() for m in ALONE.finditer(data)))
    return cands


def symbols(data):
    """stripped / symtab / dwarf, from an ELF64 little-endian file's sections."""
    try:
        if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
            return 'unknown'
        shoff, = struct.unpack_from('<Q', data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
        if not shoff or not shnum or shstrndx >= shnum:
            return 'unknown'

        def sh(i):
            return struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize)
        stroff = sh(shstrndx)[4]
        names = []
        for i in range(shnum):
            n = sh(i)[0]
            e = data.index(b'\0', stroff + n)
            names.append(data[stroff + n:e].decode('latin-1'))
    except (struct.error, ValueError, IndexError):
        return 'unknown'
    if any(n.startswith(('.debug_', '.zdebug_')) for n in names):
        return 'dwarf'
    return 'symtab' if '.symtab' in names else 'stripped'


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: go_version.py BINARY\n')
        return 2
    try:
        with open(argv[1], 'rb') as f:
            data = f.read()
    except OSError as e:
        sys.stderr.write('go_version.py: %s\n' % e)
        return 2
    v = from_buildinfo(data)
    if v:
        print(v, 'buildinfo', symbols(data))
        return 0
    cands = from_rodata(data)
    if len(cands) == 1:
        print(cands[0], 'rodata', symbols(data))
        return 0
    sys.stderr.write('go_version.py: %s: no build info, and %s\n' % (
        argv[1], 'no Go version string' if not cands else
        'several candidate version strings: ' + ' '.join(cands)))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
