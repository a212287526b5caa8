package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labgrade/labgrade/grader/result"
)

// Learner-controlled text (object and file names, check messages quoting
// the learner's objects, Events, HTTP bodies, logs) reaches every output.
// Safe makes a string fit for any of them, so that no learner can forge a
// CI workflow command, move the terminal's cursor, or break a format:
//
//   - invalid UTF-8 becomes U+FFFD;
//   - line breaks other than "\n" (a lone "\r", "\v", "\f", U+0085 NEL,
//     U+2028, U+2029) and every other C0 or C1 control, DEL, the bidi
//     controls, U+FEFF and the XML non-characters U+FFFE and U+FFFF are
//     written as visible escapes (`\r`, `\x1b`, `\u2028`, …): no terminal
//     escape sequence, nothing a CI log or XML parser reads as a control;
//     a tab becomes a space;
//   - "\n" ("\r\n" too) is kept only by SafeLines, and Safe writes it `\n`,
//     so a learner's string never starts a line of its own;
//   - a line that, after leading blanks (any Unicode space, as the GitHub
//     runner trims them), starts with "::" gets a backslash before the
//     "::": never a GitHub workflow command (::warning, ::stop-commands…);
//   - "##[" and "##word[" anywhere get a backslash between the two "#": the
//     GitHub runner's legacy commands and Azure's ##vso[…] / TeamCity's
//     ##teamcity[…] match anywhere in a line.
//
// What Safe returns is unchanged by Safe (idempotent), and is plain text:
// each format still escapes it its own way (XML, JSON, Markdown,
// workflow-command properties).
func Safe(s string) string { return neutralise(s, false) }

// SafeLines is Safe that keeps line feeds, each line neutralised: for the
// text fields that are made of lines (an environment error, an object's
// values), in formats that hold a line break inside a string (JSON, XML,
// Gradescope's output).
func SafeLines(s string) string { return neutralise(s, true) }

func neutralise(s string, lines bool) string {
	if !lines {
		s = strings.TrimRight(s, "\r\n")
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r' && lines && strings.HasPrefix(s[i+1:], "\n"):
			// CRLF is a line feed
		case r == '\n' && lines:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, unsafeFormat(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	out := strings.Split(b.String(), "\n")
	for i, line := range out {
		out[i] = breakCommands(line)
	}
	return strings.Join(out, "\n")
}

// unsafeFormat: the separators a browser or log viewer may break a line
// at, the bidi controls (text that displays other than it reads), the BOM
// some tools strip, and what XML 1.0 forbids.
func unsafeFormat(r rune) bool {
	switch {
	case r == 0x2028, r == 0x2029, r == 0x061c, r == 0x200e, r == 0x200f,
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0xfeff, r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// breakCommands neutralises one line: a leading "::" (after blanks) and
// every "##[" / "##word[".
func breakCommands(line string) string {
	if rest := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(rest, "::") {
		at := len(line) - len(rest)
		line = line[:at] + `\` + rest
	}
	if !strings.Contains(line, "##") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		b.WriteByte(line[i])
		if line[i] == '#' && i+1 < len(line) && line[i+1] == '#' && opensCommand(line[i+2:]) {
			b.WriteByte('\\')
		}
	}
	return b.String()
}

// opensCommand: s (what follows a "##") is "[" or ASCII letters then "[".
func opensCommand(s string) bool {
	j := 0
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	return j < len(s) && s[j] == '['
}

// sanitize is a copy of r with every string passed through Safe (or
// SafeLines where lines are kept), and the lists the schema promises as
// lists never null. Every writer of this package prints only what sanitize
// returns.
func sanitize(r *result.Result) *result.Result {
	c := *r
	c.Lab, c.Title, c.Submission, c.Namespace = Safe(r.Lab), Safe(r.Title), Safe(r.Submission), Safe(r.Namespace)
	c.Selection, c.Verdict = Safe(r.Selection), result.Verdict(Safe(string(r.Verdict)))
	c.EnvironmentError = SafeLines(r.EnvironmentError)
	c.Phases = make([]result.Phase, len(r.Phases))
	for i, p := range r.Phases {
		p.Name = Safe(p.Name)
		c.Phases[i] = p
	}
	c.Checks = make([]result.Check, len(r.Checks))
	for i, ch := range r.Checks {
		ch.ID, ch.Title, ch.Severity, ch.Message = Safe(ch.ID), Safe(ch.Title), Safe(ch.Severity), Safe(ch.Message)
		ch.Outcome = result.Outcome(Safe(string(ch.Outcome)))
		ch.Subject, ch.File = Safe(ch.Subject), Safe(ch.File)
		ch.Hints = safeAll(ch.Hints)
		ch.Diagnostics = sanitizeDiagnostics(ch.Diagnostics)
		c.Checks[i] = ch
	}
	c.Skipped = safeAll(r.Skipped)
	c.Problems = safeAll(r.Problems)
	if r.Refused != nil {
		c.Refused = make([]result.Refusal, len(r.Refused))
		for i, rf := range r.Refused {
			c.Refused[i] = result.Refusal{File: Safe(rf.File), Line: rf.Line, Object: Safe(rf.Object), Why: Safe(rf.Why)}
		}
	}
	e := &c.Environment
	e.Labgrade, e.Kind, e.Kubernetes = Safe(e.Labgrade), Safe(e.Kind), Safe(e.Kubernetes)
	e.NodeImage, e.Cluster, e.LabDigest, e.Registry = Safe(e.NodeImage), Safe(e.Cluster), Safe(e.LabDigest), Safe(e.Registry)
	return &c
}

func sanitizeDiagnostics(d *result.Diagnostics) *result.Diagnostics {
	if d == nil {
		return nil
	}
	c := &result.Diagnostics{Summary: Safe(d.Summary), Events: safeAll(d.Events)}
	if d.Object != nil {
		c.Object = safeValue(d.Object).(map[string]any)
	}
	if d.Pods != nil {
		c.Pods = make([]result.PodDiagnosis, len(d.Pods))
		for i, p := range d.Pods {
			q := result.PodDiagnosis{Name: Safe(p.Name), Phase: Safe(p.Phase), Conditions: safeAll(p.Conditions),
				Containers: make([]result.ContainerDiagnosis, len(p.Containers))}
			for j, ct := range p.Containers {
				ct.Name, ct.State, ct.LastLogs = Safe(ct.Name), Safe(ct.State), safeAll(ct.LastLogs)
				q.Containers[j] = ct
			}
			c.Pods[i] = q
		}
	}
	return c
}

func safeAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Safe(s)
	}
	return out
}

// safeValue copies a decoded JSON value (an object as the API server has
// it), neutralising every key and string; values keep their line feeds
// (a ConfigMap's file, a script).
func safeValue(v any) any {
	switch v := v.(type) {
	case string:
		return SafeLines(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[Safe(k)] = safeValue(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = safeValue(e)
		}
		return s
	}
	return v
}
