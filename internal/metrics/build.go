package metrics

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Build says which firebreak a binary is: what `firebreak version` prints
// and firebreak_build_info carries.
type Build struct {
	// Version is the main module's version: a release tag, a pseudo-version
	// the go command derived from the VCS, or "(devel)" for a source build
	// it could not stamp; an -ldflags -X override replaces it.
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from, "" when the
	// build recorded none (go test, -buildvcs=false).
	Revision string `json:"revision"`
	// Time is the commit's time (RFC 3339), "" when unknown.
	Time string `json:"time"`
	// Modified says the work tree had uncommitted changes at build time.
	Modified bool `json:"modified"`
	// Go is the toolchain that built the binary.
	Go string `json:"go"`
}

// ReadBuild reads the build information the go command embedded in the
// running binary. override, when not empty, is the version set at link
// time (-ldflags -X) and wins over the module's.
func ReadBuild(override string) Build {
	b := Build{Version: "(devel)", Go: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" {
			b.Version = v
		}
		if info.GoVersion != "" {
			b.Go = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if override != "" {
		b.Version = override
	}
	return b
}

// String is the one line `firebreak version` prints:
// "firebreak VERSION (REVISION, TIME[, modified]) GO", the revision
// shortened to 12 hex digits as in Go's pseudo-versions.
func (b Build) String() string {
	var vcs []string
	if b.Revision != "" {
		vcs = append(vcs, b.Revision[:min(12, len(b.Revision))])
	}
	if b.Time != "" {
		vcs = append(vcs, b.Time)
	}
	if b.Modified {
		vcs = append(vcs, "modified")
	}
	s := "firebreak " + b.Version
	if len(vcs) > 0 {
		s += " (" + strings.Join(vcs, ", ") + ")"
	}
	return fmt.Sprintf("%s %s", s, b.Go)
}

// buildInfo is firebreak_build_info: always 1, the build in its labels, so
// that a dashboard can join it to any other series by instance.
func buildInfo(b Build) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "firebreak_build_info",
		Help:        "Always 1; the labels say which firebreak build is running.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.Go},
	})
	g.Set(1)
	return g
}
