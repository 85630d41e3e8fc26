package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tourMarkers enclose the README's first-hour tour; every shell command
// between them runs in TestReadmeTour.
const (
	tourBegin = "<!-- tour: every command in this section runs in TestReadmeTour -->"
	tourEnd   = "<!-- /tour -->"
)

// firebreakPrefix is how the README runs firebreak from a clone. The test
// runs the binary built from the same tree instead: same program, without
// one `go run` build per command.
const firebreakPrefix = "go run ./cmd/firebreak "

// TestReadmeTour runs the README's tour exactly as written, on the ports and
// in the layout it assumes (a clone with ../shared beside it), against a
// real `firebreak dev`, and checks what the tour says each step shows: the
// webhook's answers, the escalated incident in `incidents list` and its
// resolution after the resolve body, the operator commands working with
// the dev operator, and the approval. Where a step's result arrives
// asynchronously (an incident's outcome, a pending approval), the command
// is re-run until it shows it, as a reader would.
func TestReadmeTour(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:9095", "127.0.0.1:7233", "127.0.0.1:8233"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the tour uses %s, which is in use on this machine (a firebreak dev running?): %v", addr, err)
		}
		l.Close()
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	cmds := tourCommands(t, string(raw))
	require.GreaterOrEqual(t, len(cmds), 8, "tour commands: %q", cmds)
	require.Equal(t, firebreakPrefix+"dev", cmds[0], "the tour starts firebreak dev first")

	bin, err := buildFirebreak()
	require.NoError(t, err)
	// A clone's layout: the examples where the README expects them and
	// ../shared beside the clone; state goes to ./.firebreak as the tour says.
	repo, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	root := t.TempDir()
	work := filepath.Join(root, "firebreak")
	require.NoError(t, os.Mkdir(work, 0o750))
	require.NoError(t, os.Symlink(filepath.Join(repo, "examples"), filepath.Join(work, "examples")))
	require.NoError(t, os.Symlink(filepath.Join(repo, "..", "shared"), filepath.Join(root, "shared")))

	dev := exec.Command(bin, "dev")
	dev.Dir = work
	logf, err := os.Create(filepath.Join(root, "dev.log"))
	require.NoError(t, err)
	dev.Stdout, dev.Stderr = logf, logf
	require.NoError(t, dev.Start())
	done := make(chan struct{})
	go func() { _ = dev.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = dev.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = dev.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("firebreak dev log:\n%s", b)
		}
	})
	require.Eventually(t, func() bool {
		select {
		case <-done:
			return true // exited: reported below
		default:
		}
		c, err := net.Dial("tcp", "127.0.0.1:9095")
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 2*time.Minute, 50*time.Millisecond, "firebreak dev's webhook did not listen")
	select {
	case <-done:
		t.Fatalf("firebreak dev exited: %v", dev.ProcessState)
	default:
	}
	// The operator commands read the dev operator's token from the state
	// directory; dev writes it before the receiver listens.
	_, err = os.Stat(filepath.Join(work, ".firebreak", "operator-token"))
	require.NoError(t, err, "firebreak dev wrote no operator token")

	run := func(line string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", strings.Replace(line, firebreakPrefix, bin+" ", 1))
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "FIREBREAK_OPERATOR_TOKEN=") // the dev operator's file, as a reader has
		out, err := cmd.CombinedOutput()
		code := 0
		if err != nil {
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "%s", line)
			code = ee.ExitCode()
		}
		return string(out), code
	}
	// until re-runs line until its output satisfies ok, then returns it.
	until := func(line, what string, ok func(out string, code int) bool) string {
		var out string
		var code int
		require.Eventually(t, func() bool {
			out, code = run(line)
			return ok(out, code)
		}, time.Minute, 200*time.Millisecond, "%s: never showed %s; last output (exit %d):\n%s", line, what, code, out)
		return out
	}

	resolved := false
	seen := map[string]bool{}
	for _, line := range cmds[1:] {
		t.Logf("$ %s", line)
		var out string
		switch {
		case strings.HasPrefix(line, "curl "):
			out, code := run(line)
			require.Zero(t, code, "%s\n%s", line, out)
			want := `"result":"started"`
			if strings.Contains(line, "resolved") {
				want, resolved = `"result":"resolved"`, true
			}
			require.Contains(t, out, want, line)
		case strings.Contains(line, " incidents list"):
			want := "escalated"
			if resolved {
				want = "resolved"
			}
			out = until(line, "checkout-errors "+want, func(out string, code int) bool {
				return code == 0 && regexp.MustCompile(`(?m)^checkout-errors/\S+\s+`+want+`\b`).MatchString(out)
			})
		case strings.Contains(line, " incidents show "):
			out = until(line, "an outcome", func(out string, code int) bool {
				return code == 0 && regexp.MustCompile(`(?m)^outcome\s+(escalated|resolved)`).MatchString(out)
			})
		case strings.Contains(line, " approve "):
			// The approval is requested once the incident has reached its
			// remediation; until then approve is refused (exit 1).
			out = until(line, "the approval", func(out string, code int) bool { return code == 0 })
			require.Contains(t, out, "approved approval", line)
		default:
			var code int
			out, code = run(line)
			require.Zero(t, code, "%s\n%s", line, out)
		}
		t.Logf("%s", out)
		for _, word := range []string{"guardrails", "pause", "resume", "approve"} {
			if strings.HasPrefix(line, firebreakPrefix+word) {
				seen[word] = true
			}
		}
	}
	for _, word := range []string{"guardrails", "pause", "resume", "approve"} {
		require.True(t, seen[word], "the tour runs no %q", word)
	}
	require.True(t, resolved, "the tour never posts the resolve body")
}

// tourCommands returns the shell commands of the README's tour: every line
// of a ```sh block between the markers that is not a comment, with
// backslash-continued lines joined.
func tourCommands(t *testing.T, readme string) []string {
	t.Helper()
	start := strings.Index(readme, tourBegin)
	end := strings.Index(readme, tourEnd)
	require.True(t, start >= 0 && end > start, "README.md has no tour markers %q … %q", tourBegin, tourEnd)
	var cmds []string
	inBlock, pending := false, ""
	for _, line := range strings.Split(readme[start:end], "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```sh"):
			inBlock = true
			continue
		case strings.HasPrefix(trimmed, "```"):
			inBlock = false
			continue
		}
		if !inBlock || trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		// A trailing comment explains the command to the reader.
		if i := strings.Index(trimmed, "  #"); i > 0 {
			trimmed = strings.TrimSpace(trimmed[:i])
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			pending += strings.TrimSpace(cont) + " "
			continue
		}
		cmds = append(cmds, pending+trimmed)
		pending = ""
	}
	return cmds
}
