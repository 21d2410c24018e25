#!/usr/bin/env python3
"""measure.py [--timeout SECONDS] RESULT_FILE CMD [ARG...] — run CMD, time
it, watch its memory.

CMD inherits stdin, stdout and stderr (redirect them as you like). While it
runs, a thread reads /proc/PID/status every 10 ms and keeps the largest
RssAnon (anonymous resident memory: the heap and the like, not the core's
file-backed mmap pages). The wall time runs from just before the fork to
the wait4 that reaps CMD, so the polling does not round it.

RESULT_FILE gets one line: "WALL_SECONDS MAX_RSSANON_KB MAX_RSS_KB EXIT"
(MAX_RSS_KB is wait4's ru_maxrss, which counts file pages as well; EXIT is
the exit status, or 128+N when killed by signal N). measure.py exits with
CMD's exit status. With --timeout, CMD is killed (SIGKILL) after SECONDS;
measure.py watches CMD itself, so do not wrap CMD in timeout(1).
"""
import os
import subprocess
import sys
import threading
import time


def rss_anon_kb(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def main():
    args = sys.argv[1:]
    timeout = None
    if args[:1] == ["--timeout"] and len(args) > 1:
        timeout = float(args[1])
        args = args[2:]
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    result, cmd = args[0], args[1:]
    peak = [0]
    stop = threading.Event()

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd)

    def poll():
        while not stop.is_set():
            if timeout is not None and time.monotonic() - t0 > timeout:
                print(f"measure.py: {cmd[0]} killed after {timeout:g} s", file=sys.stderr)
                try:
                    proc.kill()
                except OSError:
                    pass
                return
            v = rss_anon_kb(proc.pid)
            if v > peak[0]:
                peak[0] = v
            stop.wait(0.010)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    # wait4 directly (not proc.wait) to get ru_maxrss and an exact end time.
    while True:
        try:
            _, status, ru = os.wait4(proc.pid, 0)
            break
        except InterruptedError:
            continue
    t1 = time.monotonic()
    stop.set()
    th.join()
    proc.returncode = 0  # reaped above; keep Popen from waiting again
    if os.WIFSIGNALED(status):
        rc = 128 + os.WTERMSIG(status)
    else:
        rc = os.WEXITSTATUS(status)
    with open(result, "w") as f:
        f.write(f"{t1 - t0:.4f} {peak[0]} {ru.ru_maxrss} {rc}\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
