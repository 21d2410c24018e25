#!/usr/bin/env python3
"""Cuts seed inputs for the fuzz targets out of real Go executables.
Used by fuzz/seeds.sh.

  seedtool.py pclntab EXE OUT [MAX]  the .gopclntab bytes (found by section
        name, else by magic); when longer than MAX (default 512 KiB), nfunc
        is lowered in the header and the tail cut so the table stays valid.
        Also writes OUT.v120 (magic 0xfffffff1) and OUT.v126 (textStart 0,
        as Go 1.26+ write it) variants of 1.18+ tables.
  seedtool.py types EXE OUT         fuzz_types input: header, then
        [runtime.types, runtime.etypes) and the .typelink section.
  seedtool.py exe EXE OUT [KEEP]    the first KEEP bytes (default 64 KiB) of
        EXE with its section header table, .shstrtab and the first entries
        of .symtab/.strtab appended (offsets rewritten), so that section and
        symbol lookups have something to find in a small file.
"""
import struct, sys

def u(fmt, d, off):
    return struct.unpack_from(fmt, d, off)

class Elf:
    def __init__(self, path):
        self.d = d = open(path, 'rb').read()
        assert d[:4] == b'\x7fELF' and d[4] == 2 and d[5] == 1
        self.phoff, self.shoff = u('<QQ', d, 32)
        self.phnum, = u('<H', d, 56)
        self.shnum, self.shstrndx = u('<HH', d, 60)
        self.ph = [u('<IIQQQQQQ', d, self.phoff + 56 * i) for i in range(self.phnum)]
        self.sh = []
        if self.shoff and self.shnum:
            self.sh = [list(u('<IIQQQQIIQQ', d, self.shoff + 64 * i)) for i in range(self.shnum)]
            stro = self.sh[self.shstrndx][4]
            for s in self.sh:
                n = d[stro + s[0]:d.index(b'\0', stro + s[0])].decode()
                s.append(n)

    def section(self, name):
        for s in self.sh:
            if s[-1] == name:
                return s
        return None

    def vaddr_off(self, va):
        for t, f, off, v, pa, fs, ms, al in self.ph:
            if t == 1 and v <= va < v + fs:
                return off + va - v
        raise KeyError(hex(va))

    def symbol(self, name):
        st = self.section('.symtab')
        if not st:
            return None
        strs = self.sh[st[6]]
        for i in range(st[5] // 24):
            nm, info, oth, shn, val, sz = u('<IBBHQQ', self.d, st[4] + 24 * i)
            o = strs[4] + nm
            if self.d[o:self.d.index(b'\0', o)] == name.encode():
                return val
        return None

def pclntab(exe, out, maxlen=512 << 10):
    e = Elf(exe)
    s = e.section('.gopclntab')
    if s:
        t = bytearray(e.d[s[4]:s[4] + s[5]])
    else:
        i = -1
        for m in (b'\xf1\xff\xff\xff\x00\x00', b'\xf0\xff\xff\xff\x00\x00'):
            i = e.d.find(m)
            if i >= 0:
                break
        if i < 0:
            sys.exit('%s: no pclntab' % exe)
        t = bytearray(e.d[i:i + (64 << 20)])
    magic, = u('<I', t, 0)
    if magic in (0xfffffff0, 0xfffffff1):
        nfunc, = u('<Q', t, 8)
        pcln, = u('<Q', t, 64)
        if len(t) > maxlen:
            # Keep the first k functions: functab (k+1 pairs of u32) and the
            # _func records it points to; everything before pcln stays.
            k = nfunc
            while k > 16:
                end = max(u('<I', t, pcln + 8 * i + 4)[0] for i in range(k)) + pcln + 256
                if end <= maxlen or k <= 16:
                    break
                k //= 2
            end = max(u('<I', t, pcln + 8 * i + 4)[0] for i in range(k)) + pcln + 256
            struct.pack_into('<Q', t, 8, k)
            t = t[:end]
        open(out, 'wb').write(t)
        v = bytearray(t); struct.pack_into('<I', v, 0, 0xfffffff1)
        open(out + '.v120', 'wb').write(v)
        v = bytearray(v); struct.pack_into('<Q', v, 24, 0)
        open(out + '.v126', 'wb').write(v)
    else:
        open(out, 'wb').write(t[:maxlen])

def types(exe, out):
    e = Elf(exe)
    a, b = e.symbol('runtime.types'), e.symbol('runtime.etypes')
    tl = e.section('.typelink')
    if a is None or b is None or not tl:
        sys.exit('%s: needs runtime.types, runtime.etypes and .typelink' % exe)
    o = e.vaddr_off(a)
    mem = e.d[o:o + (b - a)]
    links = e.d[tl[4]:tl[4] + tl[5]]
    for flags, name in ((0, ''), (1, '.scan')):
        hdr = struct.pack('<IIIIB7x', 0, len(mem), len(mem), len(links) // 4, flags)
        open(out + name, 'wb').write(hdr + mem + links)

def exe(path, out, keep=64 << 10):
    e = Elf(path)
    d = bytearray(e.d[:keep])
    if not e.sh:
        open(out, 'wb').write(d)
        return
    sh = [list(s[:10]) for s in e.sh]
    def append(blob):
        nonlocal d
        d += b'\0' * ((-len(d)) % 8)
        off = len(d)
        d += blob
        return off
    for i, s in enumerate(e.sh):
        name = s[-1]
        if name in ('.shstrtab', '.strtab', '.symtab', '.note.go.buildid',
                    '.note.gnu.build-id', '.go.buildinfo') and s[1] != 8:
            size = s[5]
            if name == '.symtab':
                size = min(size, 24 * 400)
            elif name == '.strtab':
                size = min(size, 16 << 10)
            if s[4] + size <= keep:
                continue
            sh[i][4] = append(e.d[s[4]:s[4] + size])
            sh[i][5] = size
    shoff = append(b''.join(struct.pack('<IIQQQQIIQQ', *s) for s in sh))
    struct.pack_into('<Q', d, 40, shoff)
    open(out, 'wb').write(d)

cmd = sys.argv[1]
if cmd == 'pclntab':
    pclntab(sys.argv[2], sys.argv[3], *(int(x) for x in sys.argv[4:]))
elif cmd == 'types':
    types(sys.argv[2], sys.argv[3])
elif cmd == 'exe':
    exe(sys.argv[2], sys.argv[3], *(int(x) for x in sys.argv[4:]))
else:
    sys.exit(__doc__)
