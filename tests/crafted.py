#!/usr/bin/env python3
"""crafted.py — builds hostile inputs for tests/crafted.sh from a real core.

Each subcommand edits a copy of a real core (made by the caller; this script
changes it in place or appends to it) the way an attacker would, on purpose
rather than at random:

  frames CORE EXE [--all] [--mib=N]
                           point a parked goroutine's stack (every parked one
                           with --all) at a 1 GiB (N MiB) region that is one
                           1 MiB chunk, filled with one return address, mapped
                           1024 (N) times by PT_LOADs that share its file
                           bytes: a frame chain of tens of millions of frames
  allm CORE EXE N          N extra NT_PRSTATUS threads in a new PT_NOTE, and
                           the allm list made cyclic (the last M points back
                           to the first)
  phdrs CORE N             N PT_LOADs in descending address order appended
                           (PN_XNUM when the count passes 65534)
  bomb CORE OUT SIZE       a zstd frame: the core's first bytes (ELF header,
                           program headers, notes) as a raw block, then RLE
                           blocks of 0xaa up to SIZE bytes in all
  notcore OUT SIZE         a zstd frame of SIZE bytes of 0x55 (not a core)
  nostack CORE EXE         a parked goroutine's saved sp moved into memory the
                           core maps but does not hold
  note CORE                the first note's descsz made absurd (0xfffffff0)

Go runtime facts used (every release 1.17-1.27, runtime2.go): g begins
{stack.lo, stack.hi, stackguard0, stackguard1, _panic, _defer, m, sched}
and sched (gobuf) begins {sp, pc, g}: sched.sp at 0x38, sched.pc at 0x40,
sched.g at 0x48, which holds the g's own address.  The m fields alllink and
procid are found from the data: alllink is the offset that leads from
runtime.allm to runtime.m0 (whose link is nil), procid the one whose value is
a core thread's LWP in every M.

Prints one line saying what it did (goids are not known here; addresses are).
Stdlib only.
"""
import os
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
PN_XNUM = 0xffff
G_STACK_LO, G_STACK_HI, G_SCHED_SP, G_SCHED_PC, G_SCHED_G = 0, 8, 0x38, 0x40, 0x48


class Core:
    def __init__(self, path):
        self.path = path
        with open(path, 'rb') as f:
            self.eh = bytearray(f.read(64))
            self.phoff, self.shoff = struct.unpack_from('<QQ', self.eh, 32)
            self.phentsize, self.phnum = struct.unpack_from('<HH', self.eh, 54)
            if self.phnum == PN_XNUM:
                f.seek(self.shoff + 44)
                self.phnum, = struct.unpack('<I', f.read(4))
            f.seek(self.phoff)
            raw = f.read(self.phentsize * self.phnum)
        self.ph = [list(struct.unpack_from('<IIQQQQQQ', raw, k * self.phentsize))
                   for k in range(self.phnum)]
        self.size = os.path.getsize(path)

    def loads(self):
        return [p for p in self.ph if p[0] == PT_LOAD]

    def off(self, va, n=8):
        for pt, fl, off, v, pa, fsz, msz, al in self.ph:
            if pt == PT_LOAD and v <= va and va + n <= v + fsz:
                return off + (va - v)
        return None

    def read(self, va, n=8):
        o = self.off(va, n)
        if o is None:
            return None
        with open(self.path, 'rb') as f:
            f.seek(o)
            return f.read(n)

    def u64(self, va):
        b = self.read(va)
        return None if b is None else struct.unpack('<Q', b)[0]

    def write(self, va, data):
        o = self.off(va, len(data))
        if o is None:
            sys.exit('crafted.py: %#x is not in the core' % va)
        with open(self.path, 'r+b') as f:
            f.seek(o)
            f.write(data)

    def put64(self, va, v):
        self.write(va, struct.pack('<Q', v))

    def notes(self):
        """(file offset, namesz, descsz, type, name) of each note in every PT_NOTE."""
        out = []
        with open(self.path, 'rb') as f:
            for pt, fl, off, v, pa, fsz, msz, al in self.ph:
                if pt != PT_NOTE:
                    continue
                f.seek(off)
                d = f.read(fsz)
                a = 8 if al == 8 else 4
                k = 0
                while k + 12 <= len(d):
                    nsz, dsz, typ = struct.unpack_from('<III', d, k)
                    name = d[k + 12:k + 12 + nsz].rstrip(b'\0')
                    doff = k + 12 + ((nsz + a - 1) & ~(a - 1))
                    if doff + dsz > len(d):
                        break
                    out.append((off + k, nsz, dsz, typ, name, d[doff:doff + dsz]))
                    k = doff + ((dsz + a - 1) & ~(a - 1))
        return out

    def append(self, data, align=4096):
        """Appends data at an aligned offset; returns that offset."""
        with open(self.path, 'r+b') as f:
            f.seek(0, 2)
            end = f.tell()
            start = (end + align - 1) // align * align
            f.truncate(start)
            f.seek(start)
            f.write(data)
        self.size = os.path.getsize(self.path)
        return start

    def rewrite_phdrs(self):
        """Writes the program header table anew at the end of the file."""
        raw = b''.join(struct.pack('<IIQQQQQQ', *p) for p in self.ph)
        phoff = self.append(raw, 8)
        struct.pack_into('<Q', self.eh, 32, phoff)
        struct.pack_into('<H', self.eh, 54, 56)
        if len(self.ph) >= PN_XNUM:
            shdr = bytearray(64)
            struct.pack_into('<I', shdr, 44, len(self.ph))   # sh_info: the count
            shoff = self.append(bytes(shdr), 8)
            struct.pack_into('<Q', self.eh, 40, shoff)
            struct.pack_into('<HHHH', self.eh, 56, PN_XNUM, 64, 1, 0)
        else:
            struct.pack_into('<H', self.eh, 56, len(self.ph))
        with open(self.path, 'r+b') as f:
            f.write(self.eh)


def symbols(exe, names):
    with open(exe, 'rb') as f:
        d = f.read()
    shoff, = struct.unpack_from('<Q', d, 40)
    shentsize, shnum = struct.unpack_from('<HH', d, 58)
    secs = [struct.unpack_from('<IIQQQQIIQQ', d, shoff + k * shentsize) for k in range(shnum)]
    want, found = set(names), {}
    for name, typ, fl, addr, off, size, link, info, al, ent in secs:
        if typ != 2:   # SHT_SYMTAB
            continue
        stroff = secs[link][4]
        for k in range(size // 24):
            st_name, info_, other, shndx, value, sz = struct.unpack_from('<IBBHQQ', d, off + 24 * k)
            end = d.index(b'\0', stroff + st_name)
            s = d[stroff + st_name:end].decode('utf-8', 'replace')
            if s in want:
                found[s] = value
    missing = want - set(found)
    if missing:
        sys.exit('crafted.py: %s: no symbol %s (needs an unstripped executable)' %
                 (exe, ', '.join(sorted(missing))))
    return found


def parked_gs(core, exe):
    """Addresses of the gs in allgs whose saved sched.g is themselves and sp is set."""
    sym = symbols(exe, ['runtime.allgs'])
    ptr, n = core.u64(sym['runtime.allgs']), core.u64(sym['runtime.allgs'] + 8)
    out = []
    for i in range(n):
        g = core.u64(ptr + 8 * i)
        if not g or core.u64(g + G_SCHED_G) != g:
            continue
        sp, pc = core.u64(g + G_SCHED_SP), core.u64(g + G_SCHED_PC)
        lo, hi = core.u64(g + G_STACK_LO), core.u64(g + G_STACK_HI)
        if sp and pc and lo < sp < hi:
            out.append(g)
    if not out:
        sys.exit('crafted.py: no parked goroutine found through allgs')
    return out


def cmd_frames(core_path, exe, every=False, mib=1024):
    core = Core(core_path)
    gs = parked_gs(core, exe)
    if not every:
        gs = gs[1:2] or gs[:1]
    chunk, count = 1 << 20, mib
    base = 0x200000000000
    ret = core.u64(gs[0] + G_SCHED_PC)   # gopark's return address from mcall
    off = core.append(struct.pack('<Q', ret) * (chunk // 8))
    for k in range(count):
        core.ph.append([PT_LOAD, 6, off, base + k * chunk, 0, chunk, chunk, 4096])
    core.rewrite_phdrs()
    core = Core(core_path)
    for g in gs:
        core.put64(g + G_STACK_LO, base)
        core.put64(g + G_STACK_HI, base + count * chunk)
        core.put64(g + G_SCHED_SP, base)
        core.put64(g + G_SCHED_PC, ret)
    print('frames: %d goroutine(s) (g %s) walk a %d MiB region of return address %#x '
          'at %#x' % (len(gs), ','.join('%#x' % g for g in gs), count * chunk >> 20, ret, base))


def find_m_offsets(core, exe, lwps):
    sym = symbols(exe, ['runtime.allm', 'runtime.m0'])
    first, m0 = core.u64(sym['runtime.allm']), sym['runtime.m0']
    for link in range(0, 0x800, 8):
        ms, m = [], first
        while m and len(ms) < 64 and m not in ms:
            ms.append(m)
            m = core.u64(m + link)
            if m is None:
                break
        if m == 0 and ms and ms[-1] == m0 and len(ms) >= 2:
            for procid in range(0, 0x800, 8):
                if all(core.u64(x + procid) in lwps for x in ms):
                    return ms, link, procid
    sys.exit('crafted.py: cannot find m.alllink/m.procid from runtime.allm to runtime.m0')


def cmd_allm(core_path, exe, nthreads):
    core = Core(core_path)
    notes = core.notes()
    prs = [n for n in notes if n[3] == 1 and n[4] == b'CORE']
    lwps = {struct.unpack_from('<I', n[5], 32)[0] for n in prs}
    ms, link, procid = find_m_offsets(core, exe, lwps)
    # Thread notes copied from the first, each with an LWP of its own.
    desc = bytearray(prs[0][5])
    blob = bytearray()
    base_lwp = 0x40000000
    for k in range(nthreads):
        struct.pack_into('<I', desc, 32, base_lwp + k)
        blob += struct.pack('<III', 5, len(desc), 1) + b'CORE\0\0\0\0' + desc
        blob += b'\0' * (-len(blob) % 4)
    off = core.append(bytes(blob), 8)
    core.ph.append([PT_NOTE, 0, off, 0, 0, len(blob), 0, 4])
    core.rewrite_phdrs()
    core = Core(core_path)
    core.put64(ms[-1] + link, ms[0])   # m0 links back to the newest M: a cycle
    print('allm: %d Ms made cyclic (alllink at %#x, procid at %#x), %d threads added' %
          (len(ms), link, procid, nthreads))


def cmd_phdrs(core_path, n):
    core = Core(core_path)
    off = core.append(b'\x11' * 4096)
    base = 0x300000000000
    for k in range(n):
        core.ph.append([PT_LOAD, 4, off, base + (n - k) * 0x2000, 0, 4096, 0x2000, 4096])
    core.rewrite_phdrs()
    print('phdrs: %d PT_LOADs in descending order appended (%d in all%s)' %
          (n, len(core.ph), ', PN_XNUM' if len(core.ph) >= PN_XNUM else ''))


def zstd_frame(head, total, fill):
    """A zstd frame (RFC 8878): head as raw blocks, then RLE blocks of fill."""
    out = bytearray(b'\x28\xb5\x2f\xfd')
    out.append(0x00)          # descriptor: no content size, no checksum, window follows
    out.append((27 - 10) << 3)  # window descriptor: 2^27 bytes
    bmax = 128 << 10
    blocks = []
    for k in range(0, len(head), bmax):
        part = head[k:k + bmax]
        blocks.append((0, len(part), part))   # raw
    left = total - len(head)
    while left > 0:
        n = min(bmax, left)
        blocks.append((1, n, bytes([fill])))  # RLE
        left -= n
    for i, (typ, size, payload) in enumerate(blocks):
        last = 1 if i == len(blocks) - 1 else 0
        h = last | typ << 1 | size << 3
        out += struct.pack('<I', h)[:3] + payload
    return bytes(out)


def cmd_bomb(core_path, out, total):
    core = Core(core_path)
    notes_end = max([p[2] + p[5] for p in core.ph if p[0] == PT_NOTE] + [64])
    with open(core_path, 'rb') as f:
        head = f.read(notes_end)
    with open(out, 'wb') as f:
        f.write(zstd_frame(head, total, 0xaa))
    print('bomb: %d bytes of zstd decompress to %d bytes: the core\'s first %d bytes, '
          'then 0xaa' % (os.path.getsize(out), total, len(head)))


def cmd_notcore(out, total):
    with open(out, 'wb') as f:
        f.write(zstd_frame(b'', total, 0x55))
    print('notcore: %d bytes of zstd decompress to %d bytes of 0x55' % (os.path.getsize(out), total))


def cmd_nostack(core_path, exe):
    core = Core(core_path)
    g = parked_gs(core, exe)[1]
    # A range the core maps (memsz) but holds no byte of (filesz 0), and
    # that the executable's segments do not fill in either.
    with open(exe, 'rb') as f:
        d = f.read(4096)
    phoff, = struct.unpack_from('<Q', d, 32)
    phnum, = struct.unpack_from('<H', d, 56)
    with open(exe, 'rb') as f:
        f.seek(phoff)
        raw = f.read(56 * phnum)
    exe_loads = [struct.unpack_from('<IIQQQQQQ', raw, 56 * k) for k in range(phnum)]
    exe_loads = [(p[3], p[3] + p[6]) for p in exe_loads if p[0] == PT_LOAD]
    hole = next((p for p in core.loads() if p[5] == 0 and p[6] >= 0x10000 and
                 not any(lo < p[3] + p[6] and p[3] < hi for lo, hi in exe_loads)), None)
    if not hole:
        sys.exit('crafted.py: the core has no PT_LOAD without bytes')
    sp = hole[3] + 0x8000
    core.put64(g + G_SCHED_SP, sp)
    core.put64(g + G_STACK_LO, hole[3])
    core.put64(g + G_STACK_HI, hole[3] + 0x10000)
    print('nostack: g %#x saved sp %#x, in a range the core maps but does not hold' % (g, sp))


def cmd_note(core_path):
    core = Core(core_path)
    off = core.notes()[0][0]
    with open(core_path, 'r+b') as f:
        f.seek(off + 4)
        f.write(struct.pack('<I', 0xfffffff0))
    print('note: the note at offset %#x has descsz 0xfffffff0' % off)


# ---- the suite -------------------------------------------------------------

TIME = '/usr/bin/time'


def children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def measure(argv, stdout_path, tmpdir, timeout, env=None, stdout=None):
    """Runs argv; returns (exit code or signal as 128+N, wall s, peak RSS bytes,
    stdout bytes, peak bytes of files open in tmpdir, stderr text).  The peak
    RSS is GNU time's %M: a child forked from this (large) Python process
    would count Python's own pages in its ru_maxrss."""
    import signal, time
    err_path = stdout_path + '.err'
    rss_path = stdout_path + '.rss'
    out = stdout if stdout is not None else open(stdout_path, 'wb')
    err = open(err_path, 'wb')
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            os.execvpe(TIME, [TIME, '-q', '-f', '%M', '-o', rss_path] + argv, env or os.environ)
        finally:
            os._exit(127)
    if stdout is None:
        out.close()
    err.close()
    peak_tmp, rusage, status = 0, None, None
    tmp_prefix = os.path.realpath(tmpdir) + '/' if tmpdir else None
    deadline = t0 + timeout
    while True:
        wpid, st, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            status, rusage = st, ru
            break
        if tmp_prefix:
            used = 0
            for p in children(pid):
                try:
                    for fd in os.listdir('/proc/%d/fd' % p):
                        try:
                            if os.readlink('/proc/%d/fd/%s' % (p, fd)).startswith(tmp_prefix):
                                used += os.stat('/proc/%d/fd/%s' % (p, fd)).st_blocks * 512
                        except OSError:
                            pass
                except OSError:
                    pass
            # and what is left in the directory itself
            for name in os.listdir(tmpdir):
                try:
                    used += os.lstat(os.path.join(tmpdir, name)).st_blocks * 512
                except OSError:
                    pass
            peak_tmp = max(peak_tmp, used)
        if time.monotonic() > deadline:
            for p in children(pid):
                os.kill(p, signal.SIGKILL)
        time.sleep(0.01)
    wall = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc < 0:
        rc = 128 - rc
    size = os.path.getsize(stdout_path) if stdout is None and os.path.exists(stdout_path) else 0
    with open(err_path, 'rb') as f:
        stderr = f.read().decode('utf-8', 'replace')
    # GNU time says "Command exited with non-zero status N" or "Command
    # terminated by signal N" first (-q drops only the former on some
    # versions): keep that off the command's stderr, and take its exit.
    lines = stderr.splitlines(keepends=True)
    m = [l for l in lines if l.startswith('Command terminated by signal ')]
    if m:
        rc = 128 + int(m[0].split()[-1])
    stderr = ''.join(l for l in lines if not l.startswith('Command '))
    rss = 0
    try:
        with open(rss_path) as f:
            for l in f:
                if l.strip().isdigit():
                    rss = int(l) * 1024
    except OSError:
        pass
    return rc, wall, rss, size, peak_tmp, stderr


def sha(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    return h.hexdigest()


def sparse_copy(src, dst):
    import subprocess
    subprocess.run(['cp', '--sparse=always', src, dst], check=True)


class Suite:
    def __init__(self, gocore, work, limits):
        self.gocore, self.work, self.lim = gocore, work, limits
        self.passed = self.failed = 0
        self.tmp = os.path.join(work, 'tmp')
        os.makedirs(self.tmp, exist_ok=True)

    def run(self, case, args, want_rc, want_err=None, inputs=(), check=None, stdout=None,
            env=None, label=None):
        """One run of gocore: exit code in want_rc, want_err (a regexp) on
        stderr, the limits, inputs unchanged, then check(stdout path) -> a
        problem or None."""
        import re
        before = [sha(p) for p in inputs]
        out = os.path.join(self.work, case + '.out')
        e = dict(os.environ, TMPDIR=self.tmp, **(env or {}))
        rc, wall, rss, size, tmp, err = measure([self.gocore] + args, out, self.tmp,
                                                self.lim['timeout'], e, stdout)
        probs = []
        if rc not in want_rc:
            probs.append('exit %d, want %s' % (rc, '/'.join(map(str, want_rc))))
        if want_err and not re.search(want_err, err):
            probs.append('stderr lacks /%s/' % want_err)
        if rc != 0 and not err.strip():
            probs.append('exit %d with nothing on stderr' % rc)
        if re.search('AddressSanitizer|runtime error:|LeakSanitizer', err):
            probs.append('sanitizer report')
        if wall > self.lim['time']:
            probs.append('%.1f s, over %g s' % (wall, self.lim['time']))
        if rss > self.lim['rss'] << 20:
            probs.append('peak RSS %d MB, over %d MB' % (rss >> 20, self.lim['rss']))
        if size > self.lim['out'] << 20:
            probs.append('%d MB of output, over %d MB' % (size >> 20, self.lim['out']))
        if tmp > self.lim['tmp'] << 20:
            probs.append('%d MB in the temporary directory, over %d MB' % (tmp >> 20, self.lim['tmp']))
        for p, h in zip(inputs, before):
            if sha(p) != h:
                probs.append('%s changed' % p)
        if check and not probs:
            c = check(out)
            if c:
                probs.append(c)
        line = '%s: gocore %s: exit %d, %.2f s, peak RSS %.0f MB, output %d bytes, temp %.1f MB' % (
            case, ' '.join(label or args), rc, wall, rss / 2**20, size, tmp / 2**20)
        first = next((l for l in err.splitlines() if l.strip()), '')
        if probs:
            self.failed += 1
            print('FAIL %s: %s' % (line, '; '.join(probs)))
            for l in err.splitlines()[:4]:
                print('    ' + l[:300])
        else:
            self.passed += 1
            print('PASS %s%s' % (line, (': ' + first[:200]) if first else ''))
        sys.stdout.flush()
        return out


def json_partial(goid=None):
    """A check: the JSON has a partial goroutine (goid, if given) with a gap."""
    import json

    def check(path):
        try:
            gs = json.load(open(path))
        except ValueError as e:
            return 'output is not JSON: %s' % e
        gs = gs if isinstance(gs, list) else [gs]
        if any('partial' not in g for g in gs):
            return 'a goroutine object lacks "partial"'
        bad = [g for g in gs if g['partial'] and not g.get('gap')]
        if bad:
            return 'goroutine %s is partial without a "gap"' % bad[0]['id']
        part = [g for g in gs if g['partial']]
        if not part or (goid is not None and goid not in [g['id'] for g in part]):
            return 'no partial goroutine%s in the JSON' % ('' if goid is None else ' %d' % goid)
        return None
    return check


def partial_goid(path):
    import json
    for g in json.load(open(path)):
        if g.get('partial'):
            return g['id']
    return None


def suite(a):
    import argparse, shutil, signal, subprocess
    ap = argparse.ArgumentParser(prog='crafted.py suite')
    ap.add_argument('--gocore', default='build/gocore')
    ap.add_argument('--e2e', default='cache/e2e')
    ap.add_argument('--e2e-new', default='cache/e2e-go1.27')
    ap.add_argument('--work', default='cache/crafted')
    ap.add_argument('--time', type=float, default=10)
    ap.add_argument('--rss', type=int, default=300)
    ap.add_argument('--out', type=int, default=50)
    ap.add_argument('--tmp', type=int, default=64)
    ap.add_argument('--timeout', type=float, default=120)
    o = ap.parse_args(a)
    lim = dict(time=o.time, rss=o.rss, out=o.out, tmp=o.tmp, timeout=o.timeout)
    src = os.path.join(o.e2e, 'chans')
    if not os.path.exists(os.path.join(src, 'core')):
        print('FAIL setup: no %s/core (run tests/e2e.sh first)' % src)
        print('0 passed, 1 failed')
        return 1
    shutil.rmtree(o.work, ignore_errors=True)
    os.makedirs(o.work)
    S = Suite(o.gocore, o.work, lim)
    W = lambda n: os.path.join(o.work, n)
    exe = W('chans.exe')
    shutil.copyfile(os.path.join(src, 'exe'), exe)
    os.chmod(exe, 0o755)

    def make(name, *cmd):
        core = W(name + '.core')
        sparse_copy(os.path.join(src, 'core'), core)
        r = subprocess.run([sys.executable, __file__] + [c if c != '@' else core for c in cmd],
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit('crafted.py: building %s: %s' % (name, r.stderr.strip()))
        print('crafted: %s' % r.stdout.strip())
        return core

    # 1. A frame chain of 33 million frames (1 GiB of one return address).
    core = make('frames', 'frames', '@', exe)
    ins = (core, exe)
    out = S.run('frames', ['goroutines', '--json', core, exe], [3], r'more than 10000 frames',
                ins, json_partial())
    goid = partial_goid(out)
    S.run('frames', ['stack', '--json', str(goid), core, exe], [3], r'more than 10000 frames',
          ins, json_partial(goid))
    S.run('frames', ['summary', core, exe], [3], r'more than 10000 frames', ins)
    S.run('frames', ['summary', '--json', core, exe], [3], r'more than 10000 frames', ins)
    S.run('frames', ['pprof', '-o', W('frames.pb.gz'), core, exe], [3], r'more than 10000 frames', ins)
    # Go 1.19's dump shows the first 100 frames: the text is whole as the runtime prints it.
    S.run('frames', ['goroutines', core, exe], [0], None, ins,
          lambda p: None if b'...additional frames elided...' in open(p, 'rb').read()
          else 'no "...additional frames elided..." line')
    core = make('frames-all', 'frames', '@', exe, '--all')
    ins = (core, exe)
    S.run('frames-all', ['goroutines', '--json', core, exe], [3], r'more than 10000 frames', ins,
          json_partial())
    S.run('frames-all', ['summary', core, exe], [3], r'more than 10000 frames', ins)
    S.run('frames-all', ['pprof', '-o', W('frames-all.pb.gz'), core, exe], [3],
          r'more than 10000 frames', ins)
    new = os.path.join(o.e2e_new, 'chans')
    if os.path.exists(os.path.join(new, 'core')):
        # Go 1.21+ prints the last 50 frames too: the text walks them all.
        core = W('frames-new.core')
        sparse_copy(os.path.join(new, 'core'), core)
        exe_new = W('chans-new.exe')
        shutil.copyfile(os.path.join(new, 'exe'), exe_new)
        r = subprocess.run([sys.executable, __file__, 'frames', core, exe_new],
                           capture_output=True, text=True, check=True)
        print('crafted: %s (%s)' % (r.stdout.strip(), new))
        ins = (core, exe_new)
        S.run('frames-new', ['goroutines', core, exe_new], [3], r'stack memory not in core', ins,
              lambda p: None if b' frames elided...' in open(p, 'rb').read()
              else 'no "...N frames elided..." line')
        S.run('frames-new', ['goroutines', '--json', core, exe_new], [3],
              r'more than 10000 frames', ins, json_partial())
        # 4 GiB of it: the walk's bound (1 GiB of stack) cuts the text.
        core = W('frames-bound.core')
        sparse_copy(os.path.join(new, 'core'), core)
        r = subprocess.run([sys.executable, __file__, 'frames', core, exe_new, '--mib=4096'],
                           capture_output=True, text=True, check=True)
        print('crafted: %s (%s)' % (r.stdout.strip(), new))
        ins = (core, exe_new)
        S.run('frames-bound', ['goroutines', core, exe_new], [3], r'at most 1 GiB of stack', ins,
              lambda p: None if b'...stack cut: ' in open(p, 'rb').read()
              else 'no "...stack cut: ..." line')
        S.run('frames-bound', ['summary', core, exe_new], [3], r'more than 10000 frames', ins)
    else:
        print('crafted: no %s/core: the Go 1.21+ frame case is left out' % new)

    # 2. A cyclic allm, with 60,000 threads.
    core = make('allm', 'allm', '@', exe, '60000')
    ins = (core, exe)
    S.run('allm', ['overview', core, exe], [3], r'runtime\.allm is cyclic', ins)
    S.run('allm', ['threads', '--json', core, exe], [3], r'runtime\.allm is cyclic', ins)
    S.run('allm', ['goroutines', core, exe], [3], r'runtime\.allm is cyclic', ins)

    # 3. 60,000 and 300,000 PT_LOADs in descending order (PN_XNUM for the latter).
    for n in (60000, 300000):
        core = make('phdrs-%d' % n, 'phdrs', '@', str(n))
        ins = (core, exe)
        S.run('phdrs-%d' % n, ['overview', core, exe], [0], None, ins)
        S.run('phdrs-%d' % n, ['goroutines', core, exe], [0], None, ins)

    # 4. A zstd bomb behind a real core's headers, and one that is not a core.
    bomb = W('bomb.zst')
    r = subprocess.run([sys.executable, __file__, 'bomb', os.path.join(src, 'core'), bomb,
                        str(200 << 30)], capture_output=True, text=True, check=True)
    print('crafted: %s' % r.stdout.strip())
    S.run('bomb', ['overview', bomb, exe], [2], r'ELF headers account for', (bomb, exe))
    S.run('bomb', ['goroutines', bomb, exe], [2], r'decompression bomb', (bomb, exe))
    notcore = W('notcore.zst')
    r = subprocess.run([sys.executable, __file__, 'notcore', notcore, str(200 << 30)],
                       capture_output=True, text=True, check=True)
    print('crafted: %s' % r.stdout.strip())
    S.run('notcore-bomb', ['overview', notcore, exe], [2], r'not a core', (notcore, exe))

    # 5. pprof -o onto its own inputs.
    core = W('victim.core')
    sparse_copy(os.path.join(src, 'core'), core)
    ins = (core, exe)
    S.run('pprof-onto-core', ['pprof', '-o', core, core, exe], [4], r'refusing', ins)
    S.run('pprof-onto-exe', ['pprof', '-o', exe, core, exe], [4], r'refusing', ins)
    os.link(core, W('victim-hardlink.core'))
    S.run('pprof-onto-core-link', ['pprof', '-o', W('victim-hardlink.core'), core, exe], [4],
          r'refusing', ins)
    os.symlink(os.path.basename(exe), W('exe-symlink'))
    S.run('pprof-onto-exe-link', ['pprof', '-o', W('exe-symlink'), core, exe], [4], r'refusing', ins)
    with open(W('old.pb.gz'), 'wb') as f:
        f.write(b'an old profile')
    S.run('pprof-full-disk', ['pprof', '-o', '/dev/full', core, exe], [4], r'No space left', ins)

    # 6. A goroutine whose stack is missing, in JSON and text.
    core = make('nostack', 'nostack', '@', exe)
    ins = (core, exe)
    out = S.run('nostack', ['goroutines', '--json', core, exe], [3], r'memory not in core', ins,
                json_partial())
    goid = partial_goid(out)
    S.run('nostack', ['stack', '--json', str(goid), core, exe], [3], r'memory not in core', ins,
          json_partial(goid))
    S.run('nostack', ['goroutines', core, exe], [3], r'stack memory not in core', ins)

    # 7. A corrupt note.
    core = make('note', 'note', '@')
    ins = (core, exe)
    S.run('note', ['overview', core, exe], [3], r'note at offset 0x[0-9a-f]+ \(type 0x1, NT_PRSTATUS\)',
          ins)
    S.run('note', ['threads', core, exe], [3], r'NT_PRSTATUS', ins)

    # 8. Output errors, and --force with another build.
    core = W('victim.core')
    S.run('stdout-full', ['goroutines', core, exe], [4], r'No space left', ins,
          stdout=open('/dev/full', 'wb'))
    rfd, wfd = os.pipe()
    os.close(rfd)
    old = signal.signal(signal.SIGPIPE, signal.SIG_IGN)   # inherited: EPIPE, not death
    S.run('stdout-closed-pipe', ['goroutines', '--json', core, exe], [4], r'Broken pipe', ins,
          stdout=os.fdopen(wfd, 'wb'))
    signal.signal(signal.SIGPIPE, old)
    other = os.path.join(o.e2e, 'deep', 'exe')
    if os.path.exists(other):
        S.run('force-other-build', ['goroutines', '--force', core, other], [3], r'warning', ins)
    print('%d passed, %d failed' % (S.passed, S.failed))
    return 1 if S.failed else 0


def main(a):
    if not a:
        sys.exit(__doc__)
    c = a[0]
    if c == 'suite':
        sys.exit(suite(a[1:]))
    if c == 'frames':
        mib = [int(x.split('=')[1]) for x in a[3:] if x.startswith('--mib=')]
        cmd_frames(a[1], a[2], '--all' in a[3:], mib[0] if mib else 1024)
    elif c == 'allm':
        cmd_allm(a[1], a[2], int(a[3]))
    elif c == 'phdrs':
        cmd_phdrs(a[1], int(a[2]))
    elif c == 'bomb':
        cmd_bomb(a[1], a[2], int(a[3]))
    elif c == 'notcore':
        cmd_notcore(a[1], int(a[2]))
    elif c == 'nostack':
        cmd_nostack(a[1], a[2])
    elif c == 'note':
        cmd_note(a[1])
    else:
        sys.exit('crafted.py: unknown command %s' % c)


if __name__ == '__main__':
    main(sys.argv[1:])
