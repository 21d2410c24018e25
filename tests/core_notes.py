#!/usr/bin/env python3
"""core_notes.py CORE — list an ELF core's notes in file order and decode
each NT_PRSTATUS: the thread's pid, the signal (pr_cursig) and its
registers (pr_reg, named for the core's machine: x86-64, aarch64, riscv64,
loongarch64), with the program counter, stack pointer, link register and
the register Go keeps g in picked out.  Also NT_SIGINFO (signal, code,
sender's pid), the files NT_FILE maps, and the PT_LOADs: how many, how
many have file contents, and the executable ones without.

A look at what the cores of other architectures hold (qemu-user's or the
kernel's), for whoever writes their loader; stdlib only.

  --regs      print every register of every thread (default: the first
              thread's, and one line per thread)
  --json      one JSON object instead of text
Exit 0, 1 when CORE is not a 64-bit little-endian ELF core, 2 usage.
"""
import json
import struct
import sys

NT = {1: 'NT_PRSTATUS', 2: 'NT_FPREGSET', 3: 'NT_PRPSINFO', 4: 'NT_TASKSTRUCT',
      6: 'NT_AUXV', 0x53494749: 'NT_SIGINFO', 0x46494c45: 'NT_FILE',
      0x46e62b7f: 'NT_PRXFPREG', 0x202: 'NT_X86_XSTATE', 0x400: 'NT_ARM_VFP',
      0x401: 'NT_ARM_TLS', 0x402: 'NT_ARM_HW_BREAK', 0x403: 'NT_ARM_HW_WATCH',
      0x404: 'NT_ARM_SYSTEM_CALL', 0x405: 'NT_ARM_SVE', 0x406: 'NT_ARM_PAC_MASK',
      0x407: 'NT_ARM_PACA_KEYS', 0x408: 'NT_ARM_PACG_KEYS', 0x409: 'NT_ARM_TAGGED_ADDR_CTRL',
      0x40a: 'NT_ARM_PAC_ENABLED_KEYS', 0x40b: 'NT_ARM_SSVE', 0x40c: 'NT_ARM_ZA',
      0x40d: 'NT_ARM_ZT', 0x900: 'NT_RISCV_CSR', 0x901: 'NT_RISCV_VECTOR',
      0xa00: 'NT_LOONGARCH_CPUCFG', 0xa01: 'NT_LOONGARCH_CSR', 0xa02: 'NT_LOONGARCH_LSX',
      0xa03: 'NT_LOONGARCH_LASX', 0xa04: 'NT_LOONGARCH_LBT'}

# pr_reg of each machine (the kernel's elf_gregset_t, which qemu-user
# copies): register names in order, and which are pc, sp, lr and g.
ARM64 = ['x%d' % i for i in range(31)] + ['sp', 'pc', 'pstate']
RISCV = ['pc'] + ['x%d' % i for i in range(1, 32)]
LOONG = ['r%d' % i for i in range(32)] + ['orig_a0', 'era', 'badv'] + ['reserved%d' % i for i in range(10)]
AMD64 = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx',
         'rdx', 'rsi', 'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base',
         'gs_base', 'ds', 'es', 'fs', 'gs']
MACHINES = {
    62: ('x86-64', AMD64, {'pc': 'rip', 'sp': 'rsp', 'lr': None, 'g': 'r14'}),
    183: ('aarch64', ARM64, {'pc': 'pc', 'sp': 'sp', 'lr': 'x30', 'g': 'x28'}),
    243: ('riscv64', RISCV, {'pc': 'pc', 'sp': 'x2', 'lr': 'x1', 'g': 'x27'}),
    258: ('loongarch64', LOONG, {'pc': 'era', 'sp': 'r3', 'lr': 'r1', 'g': 'r22'}),
}
PR_REG = 112  # offset of pr_reg in a 64-bit elf_prstatus


def notes(data, off, size):
    end = off + size
    while off + 12 <= end:
        namesz, descsz, typ = struct.unpack_from('<III', data, off)
        name = data[off + 12:off + 12 + namesz].rstrip(b'\0').decode('latin-1')
        d = off + 12 + ((namesz + 3) & ~3)
        yield name, typ, data[d:d + descsz]
        off = d + ((descsz + 3) & ~3)


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    flags = set(a for a in argv if a.startswith('--'))
    if len(args) != 1 or flags - {'--regs', '--json'}:
        print(__doc__.strip().split('\n\n')[0], file=sys.stderr)
        return 2
    with open(args[0], 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1 or struct.unpack_from('<H', data, 16)[0] != 4:
        print('%s: not a 64-bit little-endian ELF core' % args[0], file=sys.stderr)
        return 1
    machine = struct.unpack_from('<H', data, 18)[0]
    phoff, = struct.unpack_from('<Q', data, 32)
    phentsize, phnum = struct.unpack_from('<HH', data, 54)
    mname, regnames, special = MACHINES.get(machine, ('machine %d' % machine, [], {}))
    out = {'machine': machine, 'machine_name': mname, 'notes': [], 'threads': [], 'loads': {}}
    loads = nofile = exec_nofile = 0
    for i in range(phnum):
        p_type, p_flags, p_off, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
            '<IIQQQQQQ', data, phoff + i * phentsize)
        if p_type == 4:
            for name, typ, desc in notes(data, p_off, p_filesz):
                out['notes'].append({'name': name, 'type': NT.get(typ, hex(typ)), 'size': len(desc)})
                if typ == 1 and name == 'CORE':
                    nreg = (len(desc) - PR_REG - 8) // 8
                    regs = list(struct.unpack_from('<%dQ' % nreg, desc, PR_REG))
                    info = struct.unpack_from('<iii', desc, 0)
                    t = {'pid': struct.unpack_from('<i', desc, 32)[0],
                         'cursig': struct.unpack_from('<h', desc, 12)[0],
                         'si_signo': info[0], 'nreg': nreg,
                         'regs': {(regnames[k] if k < len(regnames) else 'r?%d' % k): v for k, v in enumerate(regs)}}
                    for what, reg in special.items():
                        if reg is not None and reg in t['regs']:
                            t[what] = t['regs'][reg]
                    out['threads'].append(t)
                elif typ == 0x53494749 and len(desc) >= 24:
                    # si_signo, si_errno, si_code, then the union at 16 (si_pid first)
                    signo, errno, code = struct.unpack_from('<iii', desc, 0)
                    pid, = struct.unpack_from('<i', desc, 16)
                    out['siginfo'] = {'signo': signo, 'errno': errno, 'code': code, 'pid': pid}
                elif typ == 0x46494c45 and len(desc) >= 16:
                    # count, page size, count * (start, end, page offset), the names
                    count, page = struct.unpack_from('<QQ', desc, 0)
                    names = desc[16 + 24 * count:].split(b'\0')
                    out['files'] = []
                    for k in range(min(count, (len(desc) - 16) // 24, len(names))):
                        start, end, pgoff = struct.unpack_from('<QQQ', desc, 16 + 24 * k)
                        out['files'].append({'start': start, 'end': end, 'offset': pgoff * page,
                                             'path': names[k].decode('utf-8', 'replace')})
        elif p_type == 1:
            loads += 1
            if p_filesz == 0:
                nofile += 1
                if p_flags & 1:
                    exec_nofile += 1
    out['loads'] = {'count': loads, 'without_contents': nofile, 'executable_without_contents': exec_nofile}
    if '--json' in flags:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print('machine %d (%s), %d PT_LOADs (%d without contents, %d of them executable)' % (
        machine, mname, loads, nofile, exec_nofile))
    print('notes: ' + ' '.join('%s/%s(%d)' % (n['name'], n['type'], n['size']) for n in out['notes']))
    if 'siginfo' in out:
        print('siginfo: signo %(signo)d code %(code)d pid %(pid)d' % out['siginfo'])
    if 'files' in out:
        paths = []
        for m in out['files']:
            if m['path'] not in paths:
                paths.append(m['path'])
        print('files: %d mappings of %s' % (len(out['files']), ', '.join(paths)))
    for i, t in enumerate(out['threads']):
        line = 'thread %d: pid %d cursig %d' % (i, t['pid'], t['cursig'])
        for what in ('pc', 'sp', 'lr', 'g'):
            if what in t:
                line += ' %s=%#x' % (what, t[what])
        print(line)
        if i == 0 or '--regs' in flags:
            regs = list(t['regs'].items())
            for k in range(0, len(regs), 4):
                print('   ' + '  '.join('%-8s %#018x' % r for r in regs[k:k + 4]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
