#!/usr/bin/env python3
"""Compacts an x86-64 ELF core for fuzzing: all-zero pages of PT_LOAD
segments are dropped (each segment is split; a run of zero pages becomes a
segment with p_filesz 0, "mapped, not in the core").  The notes are kept.

    fuzz/mincore.py CORE OUT [KEEP_ZERO_PAGES_NEAR]

A real Go core of 46 MiB holds ~0.5 MiB of non-zero pages; gocore reads the
same goroutines from the result (seeds.sh checks that), so it is a seed the
walker target can mutate at a useful speed."""
import struct, sys

PAGE = 4096

def main():
    src, dst = sys.argv[1], sys.argv[2]
    near = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    d = open(src, 'rb').read()
    assert d[:4] == b'\x7fELF' and d[4] == 2 and d[5] == 1, 'not a 64-bit LE ELF'
    phoff, = struct.unpack_from('<Q', d, 32)
    phnum, = struct.unpack_from('<H', d, 56)
    phdrs = [list(struct.unpack_from('<IIQQQQQQ', d, phoff + 56 * i)) for i in range(phnum)]
    out_ph = []   # (type, flags, data bytes, vaddr, filesz, memsz, align)
    for t, f, off, va, pa, fs, ms, al in phdrs:
        if t != 1:
            out_ph.append((t, f, d[off:off + fs], va, fs, ms, al))
            continue
        avail = max(0, min(fs, len(d) - off))
        npages = (ms + PAGE - 1) // PAGE
        keep = []
        for p in range(npages):
            a = p * PAGE
            if a >= avail:
                keep.append(None)            # not in the core to begin with
            else:
                keep.append(bool(d[off + a:off + min(a + PAGE, avail)].strip(b'\0')))
        if near:
            base = list(keep)
            for p, k in enumerate(base):
                if k:
                    for q in range(max(0, p - near), min(npages, p + near + 1)):
                        if keep[q] is False:
                            keep[q] = True
        p = 0
        while p < npages:
            q = p
            while q < npages and bool(keep[q]) == bool(keep[p]):
                q += 1
            start, end = p * PAGE, min(q * PAGE, ms)
            if keep[p]:
                blob = d[off + start:off + min(end, avail)]
                out_ph.append((1, f, blob, va + start, len(blob), end - start, al))
            else:
                out_ph.append((1, f, b'', va + start, 0, end - start, al))
            p = q
    n = len(out_ph)
    assert n < 0xffff
    hdr = bytearray(d[:64])
    struct.pack_into('<Q', hdr, 32, 64)      # e_phoff
    struct.pack_into('<Q', hdr, 40, 0)       # e_shoff
    struct.pack_into('<H', hdr, 56, n)       # e_phnum
    struct.pack_into('<HHH', hdr, 58, 64, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
    pos = 64 + 56 * n
    body = bytearray()
    table = bytearray()
    for t, f, blob, va, fs, ms, al in out_ph:
        if t == 1 and blob:
            pad = (-(pos + len(body))) % PAGE
            body += b'\0' * pad
        o = pos + len(body) if blob else 0
        if t == 4:   # PT_NOTE: 4-aligned
            body += b'\0' * ((-(pos + len(body))) % 4)
            o = pos + len(body)
        table += struct.pack('<IIQQQQQQ', t, f, o, va, 0, fs, ms, al)
        body += blob
    open(dst, 'wb').write(bytes(hdr) + bytes(table) + bytes(body))

main()
