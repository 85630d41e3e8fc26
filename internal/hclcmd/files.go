package hclcmd

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// collectHCL expands paths into sorted, de-duplicated .hcl files: named
// files as given, directories recursively except for the directories
// skipDir leaves out below them.
func collectHCL(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", root, err)
		}
		if !info.IsDir() {
			if p := filepath.Clean(root); !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && skipDir(d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(d.Name(), ".hcl") {
				return nil
			}
			if p = filepath.Clean(p); !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", root, err)
		}
	}
	sort.Strings(files)
	return files, nil
}

// skipDir reports whether a directory met while walking is left out, as the
// go tool leaves them out: testdata holds fixtures, invalid on purpose
// (firebreak's own runbooks/testdata/invalid), and hidden directories (.git,
// .firebreak) hold tools' state. Only directories below a named path are
// skipped: naming one, or a path inside one, checks it.
func skipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
