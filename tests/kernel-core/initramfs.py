#!/usr/bin/env python3
"""initramfs.py OUT ENTRY... — write a gzip-compressed initramfs (cpio
"newc", the format the Linux kernel unpacks) without cpio, root or mknod.

ENTRY is one of
  dir:PATH              a directory (mode 0755)
  file:PATH=SRC         the regular file SRC as PATH (mode 0755)
  chr:PATH=MAJOR,MINOR  a character device (mode 0600)

PATH is the path in the guest, without the leading '/'.  Owners are root,
times 0: the same inputs give the same bytes.  Exit 0, 1 on an error, 2
usage.  Stdlib only; used by tests/kernel-core.sh.
"""
import gzip
import stat
import sys


def header(ino, mode, nlink, size, rdev, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    h = b'070701' + b''.join(b'%08x' % f for f in fields) + name + b'\0'
    return h + b'\0' * (-len(h) % 4)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out, entries = argv[0], argv[1:]
    blob = bytearray()
    ino = 1
    for e in entries:
        kind, _, rest = e.partition(':')
        path, _, src = rest.partition('=')
        path = path.lstrip('/')
        if not path:
            print('initramfs.py: empty path in %r' % e, file=sys.stderr)
            return 2
        name = path.encode()
        if kind == 'dir':
            blob += header(ino, stat.S_IFDIR | 0o755, 2, 0, (0, 0), name)
        elif kind == 'file':
            try:
                with open(src, 'rb') as f:
                    data = f.read()
            except OSError as err:
                print('initramfs.py: %s' % err, file=sys.stderr)
                return 1
            blob += header(ino, stat.S_IFREG | 0o755, 1, len(data), (0, 0), name)
            blob += data + b'\0' * (-len(data) % 4)
        elif kind == 'chr':
            try:
                major, minor = (int(x) for x in src.split(','))
            except ValueError:
                print('initramfs.py: bad device numbers in %r' % e, file=sys.stderr)
                return 2
            blob += header(ino, stat.S_IFCHR | 0o600, 1, 0, (major, minor), name)
        else:
            print('initramfs.py: unknown entry %r' % e, file=sys.stderr)
            return 2
        ino += 1
    blob += header(0, 0, 1, 0, (0, 0), b'TRAILER!!!')
    try:
        with open(out, 'wb') as f:
            f.write(gzip.compress(bytes(blob), mtime=0))
    except OSError as err:
        print('initramfs.py: %s' % err, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
