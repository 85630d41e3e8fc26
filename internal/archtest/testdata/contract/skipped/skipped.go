// Package skipped holds only a testdata directory with violations.
package skipped
