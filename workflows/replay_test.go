package workflows

import (
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (internal/e2e writes them when FIREBREAK_RECORD_HISTORIES is set) against
// today's workflow code. A change that would break an incident in flight
// fails here; such a change belongs behind workflow.GetVersion.
//
// Files named *.nondeterministic.json are histories the current code must
// refuse: they prove the replayer actually checks something.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d recorded histories, want at least one good and one nondeterministic", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			Register(r)
			err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
			mustFail := strings.HasSuffix(f, ".nondeterministic.json")
			switch {
			case mustFail && err == nil:
				t.Fatal("replay succeeded, want a nondeterminism error")
			case mustFail && !strings.Contains(strings.ToLower(err.Error()), "nondetermin"):
				t.Fatalf("replay failed for another reason than nondeterminism: %v", err)
			case !mustFail && err != nil:
				t.Fatalf("replay of a recorded history failed: %v", err)
			}
		})
	}
}
