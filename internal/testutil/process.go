// Package testutil starts real servers (PostgreSQL, PgBouncer, Prometheus,
// Alertmanager) for integration tests, because the behaviour firebreak relies
// on — PgBouncer's admin console, PromQL errors, Alertmanager's grouping —
// is only trustworthy when exercised against the real thing.
//
// Every starter binds 127.0.0.1 on a free port, keeps its data in a
// per-test temporary directory, waits for readiness by polling with a
// deadline, and stops the process in t.Cleanup. When a binary is missing the
// test is skipped with the install command, or fails when CI=true so CI never
// silently runs without the servers. Install them with
// scripts/install-deps.sh.
package testutil

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// installHint is what a developer runs to get the servers the tests need.
const installHint = "sudo scripts/install-deps.sh"

// stopGrace is how long a server gets to exit after its stop signal before
// the harness kills its whole process group.
const stopGrace = 10 * time.Second

// logTailBytes bounds how much of a server's log is printed when a test fails.
const logTailBytes = 4096

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, so a
// server started by the test can bind it. Another process may take the port
// between the probe and the bind; that race is accepted for tests.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// PollUntil calls cond every 50 ms until it reports true, and fails the test
// naming what and cond's last error when timeout passes first. It is the
// harness's replacement for sleeping: tests wait for a state, never for a
// duration. It must be called from the test's goroutine (it may call
// t.Fatalf).
func PollUntil(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	if err := poll(timeout, cond, nil); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// poll runs cond every 50 ms until it succeeds, abort reports an error, or
// timeout passes. It returns nil on success.
func poll(timeout time.Duration, cond func() (bool, error), abort func() error) error {
	const interval = 50 * time.Millisecond
	deadline := time.Now().Add(timeout)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if abort != nil {
			if aerr := abort(); aerr != nil {
				return aerr
			}
		}
		if time.Now().After(deadline) {
			if last == nil {
				last = errors.New("condition never became true")
			}
			return fmt.Errorf("timed out after %s: last error: %w", timeout, last)
		}
		<-ticker.C
	}
}

// requireBinary resolves a server binary from candidate absolute paths and
// names looked up in PATH. A missing binary skips the test with the install
// command, or fails it when CI=true.
func requireBinary(t testing.TB, what string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if filepath.IsAbs(c) {
			if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not installed (looked for %v); install it with: %s", what, candidates, installHint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// serviceAccount is the OS identity a server that refuses to run as root
// (PostgreSQL, PgBouncer) is started under.
type serviceAccount struct {
	cred     *syscall.Credential // nil: run as the current user
	uid, gid int
}

// postgresAccount returns the `postgres` OS user when the tests run as root,
// because PostgreSQL and PgBouncer refuse to run as root; otherwise the
// current user, who can run them directly.
func postgresAccount(t testing.TB) serviceAccount {
	t.Helper()
	if os.Geteuid() != 0 {
		return serviceAccount{uid: os.Geteuid(), gid: os.Getegid()}
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		msg := fmt.Sprintf("running as root needs the postgres OS user: %v; install it with: %s", err, installHint)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		t.Fatalf("postgres uid %q: %v", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		t.Fatalf("postgres gid %q: %v", u.Gid, err)
	}
	return serviceAccount{
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		uid:  uid,
		gid:  gid,
	}
}

// ownedTempDir makes a temporary directory the account owns, removed when
// the test ends. t.TempDir is not used for it: its parents are private to
// root, so the postgres user could not reach it.
func ownedTempDir(t testing.TB, prefix string, acct serviceAccount) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("remove %s: %v", dir, err)
		}
	})
	if err := os.Chown(dir, acct.uid, acct.gid); err != nil {
		t.Fatalf("chown %s: %v", dir, err)
	}
	return dir
}

// writeOwnedFile writes a private file the account can read, for passwords
// and configuration handed to a server running under that account.
func writeOwnedFile(t testing.TB, path, content string, acct serviceAccount) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := os.Chown(path, acct.uid, acct.gid); err != nil {
		t.Fatalf("chown %s: %v", path, err)
	}
}

// process is one server child process: its output goes to a log file, it
// runs in its own process group, and it is reaped by a goroutine.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	stopSig syscall.Signal
	done    chan struct{}

	mu      sync.Mutex
	waitErr error
}

// startProcess starts bin with args, logging to dir/<name>.log, and
// registers its stop in t.Cleanup: stopSig, then SIGKILL to the process group
// after stopGrace. On a failed test the log's tail is printed.
func startProcess(t testing.TB, name, dir string, acct *syscall.Credential, stopSig syscall.Signal, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("%s log: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: acct}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s (%s): %v", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, stopSig: stopSig, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		logFile.Close()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s log tail (%s):\n%s", name, logPath, p.logTail())
		}
	})
	return p
}

// exited reports an error when the process is no longer running, so a
// readiness wait can stop early instead of running into its deadline.
func (p *process) exited() error {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return fmt.Errorf("%s exited early: %v", p.name, p.waitErr)
	default:
		return nil
	}
}

// waitReady polls cond until it succeeds and fails the test with the log's
// tail when the deadline passes or the process exits.
func (p *process) waitReady(t testing.TB, timeout time.Duration, cond func() (bool, error)) {
	t.Helper()
	if err := poll(timeout, cond, p.exited); err != nil {
		t.Fatalf("%s not ready: %v\n%s log tail (%s):\n%s", p.name, err, p.name, p.logPath, p.logTail())
	}
}

// stop signals the process, waits stopGrace for it to exit and then kills
// its process group; either way the process is reaped before stop returns.
func (p *process) stop(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(p.stopSig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Logf("signal %s: %v", p.name, err)
	}
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		t.Logf("%s did not exit within %s of %v; killing its process group", p.name, stopGrace, p.stopSig)
		if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Logf("kill %s: %v", p.name, err)
		}
		<-p.done
	}
}

// logTail returns the last logTailBytes of the process's log.
func (p *process) logTail() string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	if st.Size() > logTailBytes {
		if _, err := f.Seek(-logTailBytes, io.SeekEnd); err != nil {
			return fmt.Sprintf("(log unreadable: %v)", err)
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}
