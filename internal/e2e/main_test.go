package e2e

import (
	"os"
	"testing"

	"github.com/firebreak-dev/firebreak/internal/testutil"
)

// TestMain runs the tests through testutil.KubeMain, so the tests that need
// a Kubernetes API server share one (testutil.SharedKube, one namespace per
// test) and it is stopped when they end. The firebreak binary the crash
// tests build (about 250 MB) is removed afterwards.
func TestMain(m *testing.M) {
	code := testutil.KubeMain(m)
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
