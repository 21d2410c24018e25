//go:build ignore

// init.go — the /init of the initramfs tests/kernel-core.sh boots under
// qemu-system: it lets the guest's Linux kernel write the core of one
// crashing Go program, then sends the core and the program's output back
// over the serial console, and powers the machine off.
//
// Built static (CGO_ENABLED=0) for the guest's GOARCH; it needs nothing in
// the initramfs but itself, /exe (the test program) and /spec:
//
//	arg ARG         one command-line argument of /exe (in order)
//	env VAR=VALUE   one variable of its environment (after GOTRACEBACK=crash)
//	signal QUIT     wait for "READY <pid>" on its stdout, then send SIGQUIT
//	timeout SECONDS kill it after that long (default 60)
//
// It mounts /proc, brings up the loopback interface, sets core_pattern to /core (core_uses_pid 0) and
// RLIMIT_CORE to unlimited, runs /exe in / with stdout and stderr in
// /stdout.txt and /oracle.txt, and after it has died prints to the
// console, each line starting with "GOCORE-KCORE ":
//
//	GOCORE-KCORE START
//	GOCORE-KCORE KERNEL <the contents of /proc/version>
//	GOCORE-KCORE EXIT <how /exe ended: "signal N core" or "exit N">
//	GOCORE-KCORE BEGIN <name> <size> <sha256 of the contents>
//	<the contents, gzip-compressed, in base64, 76 characters a line>
//	GOCORE-KCORE END <name>
//	... (names: oracle, stdout, core; a missing file: GOCORE-KCORE MISSING <name> <why>)
//	GOCORE-KCORE DONE
//
// Any failure is a "GOCORE-KCORE ERROR <message>" line; it powers off all
// the same.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const tag = "GOCORE-KCORE"

// TCSBRK: ioctl(fd, TCSBRK, 1) is tcdrain (asm-generic/ioctls.h; the same
// number on arm64, riscv64 and loong64)
const tcsbrk = 0x5409

var console = os.Stdout

func say(format string, a ...any) {
	fmt.Fprintf(console, tag+" "+format+"\n", a...)
}

func main() {
	if c, err := os.OpenFile("/dev/console", os.O_WRONLY, 0); err == nil {
		console = c
	}
	say("START")
	if err := run(); err != nil {
		say("ERROR %v", err)
	}
	say("DONE")
	poweroff()
}

func poweroff() {
	// tcdrain: what is written to a tty may still wait in the serial
	// driver's buffer, which powering off would lose
	syscall.Syscall(syscall.SYS_IOCTL, console.Fd(), tcsbrk, 1)
	time.Sleep(100 * time.Millisecond)
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	// Reboot does not return when it works; the kernel panics when init
	// exits, and panic=-1 with -no-reboot ends qemu then.
	os.Exit(1)
}

func run() error {
	if err := os.MkdirAll("/proc", 0o555); err != nil {
		return err
	}
	if err := syscall.Mount("proc", "/proc", "proc", 0, ""); err != nil {
		return fmt.Errorf("mount /proc: %v", err)
	}
	if v, err := os.ReadFile("/proc/version"); err == nil {
		say("KERNEL %s", strings.TrimSpace(string(v)))
	}
	for file, value := range map[string]string{
		"/proc/sys/kernel/core_pattern":  "/core\n",
		"/proc/sys/kernel/core_uses_pid": "0\n",
	} {
		if err := os.WriteFile(file, []byte(value), 0); err != nil {
			return fmt.Errorf("write %s: %v", file, err)
		}
	}
	// the programs talk to themselves over 127.0.0.1
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("bring up lo: %v", err)
	}
	inf := &syscall.Rlimit{Cur: ^uint64(0), Max: ^uint64(0)}
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, inf); err != nil {
		return fmt.Errorf("setrlimit RLIMIT_CORE: %v", err)
	}

	var args, env []string
	signal := ""
	timeout := 60 * time.Second
	spec, err := os.ReadFile("/spec")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(spec), "\n") {
		key, rest, _ := strings.Cut(line, " ")
		switch key {
		case "":
		case "arg":
			args = append(args, rest)
		case "env":
			env = append(env, rest)
		case "signal":
			signal = rest
		case "timeout":
			n, err := strconv.Atoi(rest)
			if err != nil {
				return fmt.Errorf("/spec: bad timeout %q", rest)
			}
			timeout = time.Duration(n) * time.Second
		default:
			return fmt.Errorf("/spec: unknown line %q", line)
		}
	}

	stdout, err := os.Create("/stdout.txt")
	if err != nil {
		return err
	}
	stderr, err := os.Create("/oracle.txt")
	if err != nil {
		return err
	}
	cmd := exec.Command("/exe", args...)
	cmd.Dir = "/"
	cmd.Env = append([]string{"PATH=/", "HOME=/", "GOTRACEBACK=crash"}, env...)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start /exe: %v", err)
	}
	killer := time.AfterFunc(timeout, func() {
		say("ERROR /exe still running after %v: killed", timeout)
		cmd.Process.Kill()
	})
	if signal == "QUIT" {
		go quitWhenReady(cmd.Process, timeout)
	} else if signal != "" {
		say("ERROR /spec: only signal QUIT is supported, not %q", signal)
	}
	cmd.Wait()
	killer.Stop()
	stdout.Close()
	stderr.Close()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled() && ws.CoreDump():
		say("EXIT signal %d core", int(ws.Signal()))
	case ws.Signaled():
		say("EXIT signal %d", int(ws.Signal()))
	default:
		say("EXIT exit %d", ws.ExitStatus())
	}
	for _, f := range []string{"oracle", "stdout", "core"} {
		path := "/" + f
		if f != "core" {
			path += ".txt"
		}
		if err := send(f, path); err != nil {
			say("MISSING %s %v", f, err)
		}
	}
	return nil
}

// loopbackUp sets IFF_UP on lo (ioctl SIOCSIFFLAGS; the kernel gives it
// 127.0.0.1 and ::1 then).
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr [40]byte // struct ifreq: the name, then ifr_flags (a short)
	copy(ifr[:], "lo")
	ifr[16] = syscall.IFF_UP | syscall.IFF_RUNNING
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr[0])))
	if e != 0 {
		return e
	}
	return nil
}

// quitWhenReady sends SIGQUIT to p once /stdout.txt has "READY <pid>".
func quitWhenReady(p *os.Process, timeout time.Duration) {
	want := []byte(fmt.Sprintf("READY %d\n", p.Pid))
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile("/stdout.txt"); err == nil && bytes.Contains(b, want) {
			p.Signal(syscall.SIGQUIT)
			return
		}
	}
}

// send prints the file as a BEGIN ... END block.
func send(name, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	w := bufio.NewWriterSize(console, 64<<10)
	fmt.Fprintf(w, "%s BEGIN %s %d %x\n", tag, name, len(data), sum)
	enc := base64.StdEncoding.EncodeToString(z.Bytes())
	for len(enc) > 0 {
		n := 76
		if len(enc) < n {
			n = len(enc)
		}
		w.WriteString(enc[:n])
		w.WriteByte('\n')
		enc = enc[n:]
	}
	fmt.Fprintf(w, "%s END %s\n", tag, name)
	return w.Flush()
}
