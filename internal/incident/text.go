package incident

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The record keeps errors as the workflow saw them: the Temporal SDK's
// ApplicationError.Error() decorates a message with " (type: T,
// retryable: false)", and the workflow appends " [T]" so that the type
// survives in logs and escalation records. People reading a list or the
// show view want the message and the type once; the functions here turn
// the recorded text into that, without changing the record.

// genericErrorTypes are the type names the SDK gives errors that carry no
// type of their own (Go's wrapped and plain errors): not worth showing.
var genericErrorTypes = map[string]bool{
	"wrapError": true, "errorString": true, "*fmt.wrapError": true, "*errors.errorString": true,
}

// HumanError splits a recorded error into its message, without the SDK's
// decoration, and its application error type ("" when it has none, or
// only a generic one): "prom query: no prometheus is configured (type:
// prometheus-not-configured, retryable: false) [prometheus-not-configured]"
// is "prom query: no prometheus is configured" of type
// "prometheus-not-configured".
func HumanError(raw string) (msg, typ string) {
	msg = raw
	if t, rest, ok := cutTypeSuffix(msg); ok {
		msg, typ = rest, t
	}
	var b strings.Builder
	for {
		t, before, after, ok := cutDecoration(msg)
		if !ok {
			break
		}
		if typ == "" {
			typ = t
		}
		b.WriteString(before)
		msg = after
	}
	b.WriteString(msg)
	if genericErrorTypes[typ] {
		typ = ""
	}
	return strings.TrimSpace(b.String()), typ
}

// FormatError is a recorded error for people: its message, then its type
// once in parentheses.
func FormatError(raw string) string {
	msg, typ := HumanError(raw)
	if typ == "" {
		return msg
	}
	return msg + " (" + typ + ")"
}

// HumanText removes the SDK's error decoration from free text that embeds
// recorded errors (a reason, a timeline line), keeping each error's type
// once: "diagnosis "x" failed: msg (type: T, retryable: false) [T]" reads
// "diagnosis "x" failed: msg (T)". Text without decoration is returned
// unchanged.
func HumanText(s string) string {
	var b strings.Builder
	for {
		t, before, after, ok := cutDecoration(s)
		if !ok {
			break
		}
		b.WriteString(before)
		show := !genericErrorTypes[t]
		// The workflow's " [T]" suffix follows the message (and its cause,
		// if any): the type goes there, once.
		if i := strings.Index(after, " ["+t+"]"); i >= 0 && !strings.Contains(after[:i], " (type: ") {
			b.WriteString(after[:i])
			if show {
				b.WriteString(" (" + t + ")")
			}
			s = after[i+len(" ["+t+"]"):]
			continue
		}
		if show {
			b.WriteString(" (" + t + ")")
		}
		s = after
	}
	b.WriteString(s)
	return b.String()
}

// cutDecoration finds the first " (type: T, retryable: B)" in s and
// returns T, the text before it and the text after it.
func cutDecoration(s string) (typ, before, after string, ok bool) {
	const open, mid = " (type: ", ", retryable: "
	for from := 0; ; {
		i := strings.Index(s[from:], open)
		if i < 0 {
			return "", "", "", false
		}
		i += from
		rest := s[i+len(open):]
		if j := strings.Index(rest, mid); j > 0 && !strings.ContainsAny(rest[:j], "(), ") {
			tail := rest[j+len(mid):]
			for _, v := range []string{"true)", "false)"} {
				if strings.HasPrefix(tail, v) {
					return rest[:j], s[:i], tail[len(v):], true
				}
			}
		}
		from = i + len(open)
	}
}

// cutTypeSuffix splits the workflow's " [T]" off the end of s.
func cutTypeSuffix(s string) (typ, rest string, ok bool) {
	if !strings.HasSuffix(s, "]") {
		return "", s, false
	}
	i := strings.LastIndex(s, " [")
	if i < 0 {
		return "", s, false
	}
	t := s[i+2 : len(s)-1]
	if t == "" || strings.ContainsAny(t, " []") {
		return "", s, false
	}
	return t, s[:i], true
}

// OneLine folds every run of white space (newlines included) into one
// space and trims the ends.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) && r != ' ' }) &&
		!strings.Contains(s, "  ") && strings.TrimSpace(s) == s {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// Shorten cuts s to at most n characters, ending a cut one in "…".
func Shorten(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if cut == n-1 {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
		}
		cut++
	}
	return s
}
