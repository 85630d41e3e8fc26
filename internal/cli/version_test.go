package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/firebreak-dev/firebreak/internal/config"
	"github.com/firebreak-dev/firebreak/internal/metrics"
	"github.com/firebreak-dev/firebreak/runbooks"
)

// TestBuiltBinary builds firebreak the way a user does, with VCS stamping
// on, and checks that it knows the commit it was built from: version's
// revision is `git rev-parse HEAD`. The same binary completes itself.
func TestBuiltBinary(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: no revision to compare with")
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	head, err := gitOutput(root, "rev-parse", "HEAD")
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "firebreak")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/firebreak")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	out, err := exec.Command(bin, "version", "-json").Output()
	if err != nil {
		t.Fatalf("firebreak version -json: %v", err)
	}
	var b metrics.Build
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if b.Revision != head {
		t.Errorf("revision %q, want HEAD %q", b.Revision, head)
	}
	if b.Time == "" || b.Version == "" || !strings.HasPrefix(b.Go, "go") {
		t.Errorf("incomplete build info: %+v", b)
	}
	// The work tree is usually dirty while tests run; when it is clean the
	// binary must say so too.
	if status, err := gitOutput(root, "status", "--porcelain"); err == nil && status == "" && b.Modified {
		t.Errorf("modified = true for a clean work tree")
	}

	text, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("firebreak version: %v", err)
	}
	want := fmt.Sprintf("firebreak %s (%s, %s", b.Version, head[:12], b.Time)
	if !strings.HasPrefix(string(text), want) || !strings.HasSuffix(string(text), " "+b.Go+"\n") {
		t.Errorf("firebreak version = %q, want %q… %s", text, want, b.Go)
	}
	for _, flag := range []string{"--version", "-v"} {
		if got, err := exec.Command(bin, flag).Output(); err != nil || string(got) != string(text) {
			t.Errorf("firebreak %s = %q (%v), want %q", flag, got, err, text)
		}
	}

	script, err := exec.Command(bin, "completion", "bash").Output()
	if err != nil || !strings.Contains(string(script), "complete -C "+bin+" firebreak\n") {
		t.Errorf("completion bash (%v):\n%s", err, script)
	}
	comp := exec.Command(bin, "firebreak", "show", "incidents")
	comp.Env = append(os.Environ(), "COMP_LINE=firebreak incidents sh", "COMP_POINT=22")
	if got, err := comp.Output(); err != nil || string(got) != "show\n" {
		t.Errorf("completing 'firebreak incidents sh' = %q (%v), want show", got, err)
	}
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// TestBuildInfoMetric: the metrics the CLI gives the engine carry the
// version command's build in firebreak_build_info, the -ldflags override
// included.
func TestBuildInfoMetric(t *testing.T) {
	old := Version
	Version = "v1.2.3-test"
	t.Cleanup(func() { Version = old })
	o, _, err := engineOptions(config.Default(), &runbooks.Set{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(o.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b := buildInfo()
	want := fmt.Sprintf(`firebreak_build_info{goversion=%q,revision=%q,version="v1.2.3-test"} 1`, b.Go, b.Revision)
	if !strings.Contains(rec.Body.String(), want+"\n") {
		t.Errorf("/metrics lacks %s:\n%s", want, grepLines(rec.Body.String(), "firebreak_build_info"))
	}
	if !strings.Contains(rec.Body.String(), "# TYPE firebreak_build_info gauge") {
		t.Error("firebreak_build_info is not a gauge")
	}
}
