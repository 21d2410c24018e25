# Sourced by crash.sh's gdb method (gdb -x) right after `run` stopped at a
# SIGABRT: continue until the SIGABRT that ends the process.  A program may
# raise SIGABRT itself (abort() in C code, testdata/cgoabort) while the Go
# runtime still catches it and prints its dump; the runtime's own final
# SIGABRT (dieFromSignal) comes after it has reset the handler to SIG_DFL,
# so a SIGABRT the process still catches (SigCgt in /proc/PID/status) is
# passed on to it.
import gdb

SIGABRT = 6


def caught(sig):
    pid = gdb.selected_inferior().pid
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('SigCgt:'):
                    return (int(line.split()[1], 16) >> (sig - 1)) & 1 == 1
    except OSError:
        pass
    return False


for _ in range(16):
    try:
        signo = int(gdb.parse_and_eval('$_siginfo.si_signo'))
    except gdb.error:
        break
    if signo != SIGABRT or not caught(SIGABRT):
        break
    gdb.execute('continue')
