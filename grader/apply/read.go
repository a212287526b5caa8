// Package apply reads manifests (files or directories of YAML/JSON, any
// number of documents each) and server-side applies them through the
// dynamic client, so any kind works, custom resources included.
package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/labgrade/labgrade/grader/spec"
)

// Object is one manifest and where it came from.
type Object struct {
	*unstructured.Unstructured
	File string
	Line int
}

// Where is "file:line" for messages and CI annotations.
func (o Object) Where() string { return fmt.Sprintf("%s:%d", o.File, o.Line) }

// Ref is "Kind/name" for messages.
func (o Object) Ref() string { return o.GetKind() + "/" + o.GetName() }

// Read is ReadLimited with the default limits and no context of its own.
func Read(path string, ignore ...string) ([]Object, error) {
	return ReadLimited(context.Background(), path, spec.SubmissionLimits{}, ignore...)
}

// ReadLimited loads every manifest under path: a file, or a directory
// walked in lexical order (files ending .yaml, .yml or .json;
// subdirectories included), leaving out files directly in the directory
// whose names are in ignore. What is read may be hostile, so:
//
//   - only regular files are read. A symbolic link is refused by name and
//     never followed, whatever it points to (see refuseLinks); a named
//     pipe, device or socket is refused by name and never opened. Files
//     are opened through an os.Root, without blocking, and checked to be
//     regular once open, so that nothing swapped in after the directory
//     was read escapes the directory or blocks.
//   - lim bounds sizes, counts, nesting and alias expansion (fields left
//     0 take spec.DefaultSubmissionLimits), and the time taken as a whole,
//     within ctx.
//   - a problem never quotes more of a file than a short, escaped
//     excerpt, and every name and excerpt is escaped (see escape).
//
// The error, when not nil, holds one problem a line, each naming its file
// and, where known, line: "file:line: what". Every problem is the
// submission's; what could be read is still returned.
func ReadLimited(ctx context.Context, path string, lim spec.SubmissionLimits, ignore ...string) ([]Object, error) {
	lim = lim.WithDefaults()
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout.Duration)
	defer cancel()
	r := &reader{ctx: ctx, lim: lim, ignore: ignore, path: path}
	r.current.Store(&path)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil { // a bug; still the submission's problem, not a crash
				r.problem(*r.current.Load(), 0, "could not be read (%s)", escape(fmt.Sprint(p), 80))
			}
		}()
		r.read()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		// The reading checks ctx between files and documents and every
		// thousand values, so it stops at once. A single YAML parse cannot
		// be interrupted: should the library take long over one file (its
		// time is bounded by the file size limit), it is left to finish on
		// its own and what it read is dropped.
		select {
		case <-done:
		case <-time.After(time.Second):
			return nil, &ReadError{Refused: []Refusal{{File: escape(*r.current.Load(), 0), Why: r.timeoutMsg()}}}
		}
	}
	if len(r.refused) > 0 {
		return r.objs, &ReadError{Refused: r.refused}
	}
	return r.objs, nil
}

// maxEntries bounds the directory entries (of any kind) a walk looks at, so
// that a tree of millions of files is refused rather than listed.
const maxEntries = 100000

// reader is one ReadLimited. Only its goroutine touches it, but for
// current, which names the file being read should the reading time out.
type reader struct {
	ctx     context.Context
	lim     spec.SubmissionLimits
	ignore  []string
	path    string
	current atomic.Pointer[string]
	entries int
	files   []string // relative to path, of a directory
	stop    bool
	budget  budget
	objs    []Object
	refused []Refusal // the problems, in the order found
}

// refuseLinks: every symbolic link is refused, not only those that leave the
// submission. A link's target cannot be judged without touching it (a
// stat of /dev/zero, a FIFO or an automount already acts on the target),
// containment checks race with a learner who changes the link while
// grading (labgrade check --watch reads the learner's own directory), a
// link to a directory would otherwise be skipped silently, and manifests
// need no links: the learner is told to put the file itself in its place.
const refuseLinks = "a symbolic link: labgrade reads no links, in or out of the submission; put the file or directory itself in its place"

func (r *reader) read() {
	st, err := os.Lstat(r.path)
	if err != nil {
		r.problem(r.path, 0, "cannot be read: %s", osErr(err))
		return
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		r.problem(r.path, 0, "%s", refuseLinks)
	case st.IsDir():
		root, err := os.OpenRoot(r.path)
		if err != nil {
			r.problem(r.path, 0, "cannot be read: %s", osErr(err))
			return
		}
		defer root.Close()
		if rst, err := root.Stat("."); err != nil || !os.SameFile(st, rst) {
			r.problem(r.path, 0, "changed while being read")
			return
		}
		r.walk(root, ".")
		slices.Sort(r.files)
		if len(r.files) > r.lim.Files {
			r.problem(r.path, 0, "%d manifest files, more than %d (spec.submission.limits.files): only the first %d are read",
				len(r.files), r.lim.Files, r.lim.Files)
			r.files = r.files[:r.lim.Files]
		}
		for _, rel := range r.files {
			if r.stop {
				return
			}
			r.readFile(root, rel, filepath.Join(r.path, rel))
		}
	case st.Mode().IsRegular():
		root, err := os.OpenRoot(filepath.Dir(r.path))
		if err != nil {
			r.problem(r.path, 0, "cannot be read: %s", osErr(err))
			return
		}
		defer root.Close()
		r.readFile(root, filepath.Base(r.path), r.path)
	default:
		r.problem(r.path, 0, "not a regular file (%s): not read", fileType(st.Mode()))
	}
}

// walk lists the manifests under rel, refusing links, special files and
// names that cannot be printed as they are. Symlinked directories are
// refused as links, never walked into.
func (r *reader) walk(root *os.Root, rel string) {
	display := filepath.Join(r.path, rel)
	if r.stop {
		return
	}
	if r.ctx.Err() != nil {
		r.problem(display, 0, "%s", r.timeoutMsg())
		r.stop = true
		return
	}
	d, err := root.Open(rel)
	if err != nil {
		r.problem(display, 0, "cannot be read: %s", osErr(err))
		return
	}
	var entries []fs.DirEntry
	for {
		batch, err := d.ReadDir(256)
		entries = append(entries, batch...)
		if r.entries += len(batch); r.entries > maxEntries {
			d.Close()
			r.problem(r.path, 0, "more than %d files and directories: not read any further", maxEntries)
			r.stop = true
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.problem(display, 0, "cannot be read: %s", osErr(err))
			}
			break
		}
	}
	d.Close()
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		if r.stop {
			return
		}
		name := e.Name()
		if rel == "." && slices.Contains(r.ignore, name) {
			continue
		}
		sub := filepath.Join(rel, name)
		disp := filepath.Join(r.path, sub)
		t := e.Type()
		manifest := isManifest(name)
		if (manifest || t.IsDir() || t&fs.ModeSymlink != 0) && unsafeName(name) {
			r.problem(disp, 0, "a name with control or invisible characters: not read; rename it")
			continue
		}
		switch {
		case t&fs.ModeSymlink != 0:
			r.problem(disp, 0, "%s", refuseLinks)
		case t.IsDir():
			r.walk(root, sub)
		case !manifest:
			// not a manifest: never opened, whatever it is
		case t.IsRegular():
			r.files = append(r.files, sub)
		default:
			r.problem(disp, 0, "not a regular file (%s): not read", fileType(t))
		}
	}
}

func isManifest(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// osErr is err without the path it names (the problem names it, escaped).
func osErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return escape(err.Error(), 80)
}

// readFile reads one manifest file: rel in root, display in messages.
func (r *reader) readFile(root *os.Root, rel, display string) {
	r.current.Store(&display)
	if r.ctx.Err() != nil {
		r.problem(display, 0, "%s", r.timeoutMsg())
		r.stop = true
		return
	}
	defer func() {
		// yaml.v3 turns its own failures into errors; anything else it
		// panics with is this file's problem, never a crash.
		if p := recover(); p != nil {
			r.problem(display, 0, "could not be parsed (the YAML parser failed: %s)", escape(fmt.Sprint(p), 80))
		}
	}()
	f, err := root.OpenFile(rel, os.O_RDONLY|openFlags, 0)
	if err != nil {
		r.problem(display, 0, "cannot be opened: %s", osErr(err))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		r.problem(display, 0, "cannot be read: %s", osErr(err))
		return
	}
	if !st.Mode().IsRegular() {
		r.problem(display, 0, "not a regular file (%s): not read", fileType(st.Mode()))
		return
	}
	lim := &r.lim
	if st.Size() > lim.FileBytes {
		r.problem(display, 0, "%d bytes, more than the %d a file may hold (spec.submission.limits.fileBytes): not read", st.Size(), lim.FileBytes)
		return
	}
	if r.budget.totalBytes+st.Size() > lim.TotalBytes {
		r.problem(display, 0, "not read, nor any file after it: the submission holds more than %d bytes (spec.submission.limits.totalBytes)", lim.TotalBytes)
		r.stop = true
		return
	}
	// the size can change after the stat: read no more than the limit
	data, err := io.ReadAll(io.LimitReader(f, lim.FileBytes+1))
	if err != nil {
		r.problem(display, 0, "cannot be read: %s", osErr(err))
		return
	}
	if int64(len(data)) > lim.FileBytes {
		r.problem(display, 0, "more than the %d bytes a file may hold (spec.submission.limits.fileBytes): not read", lim.FileBytes)
		return
	}
	r.budget.totalBytes += int64(len(data))
	if r.budget.totalBytes > lim.TotalBytes {
		r.problem(display, 0, "not read, nor any file after it: the submission holds more than %d bytes (spec.submission.limits.totalBytes)", lim.TotalBytes)
		r.stop = true
		return
	}
	r.decode(display, data)
}

// decode reads the documents of one file. The first problem ends the file.
func (r *reader) decode(display string, data []byte) {
	if line, msg := checkText(data); msg != "" {
		r.problem(display, line, "%s", msg)
		return
	}
	r.budget.fileExtra = 0
	c := &converter{r: r, size: int64(len(data)), memo: map[*yaml.Node]*value{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for docs := 0; ; docs++ {
		if r.ctx.Err() != nil {
			r.problem(display, 0, "%s", r.timeoutMsg())
			r.stop = true
			return
		}
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.syntaxProblem(display, data, err)
			return
		}
		if docs >= r.lim.Documents {
			r.problem(display, n.Line, "more than %d YAML documents in one file (spec.submission.limits.documents)", r.lim.Documents)
			return
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].ShortTag() == "!!null") {
			continue // an empty document, e.g. after a trailing ---
		}
		top := n.Content[0]
		v, err := c.convert(top, 1)
		if err != nil {
			var de *docError
			if errors.As(err, &de) {
				r.problem(display, de.line, "%s", de.msg)
			} else {
				r.problem(display, top.Line, "%s", escape(err.Error(), 100))
			}
			return
		}
		o, msg := object(v.v)
		if msg != "" {
			r.problem(display, top.Line, "%s", msg)
			return
		}
		o.File, o.Line = display, top.Line
		r.objs = append(r.objs, o)
	}
}

// object makes a Kubernetes object of a document's value, or says why not.
func object(v any) (Object, string) {
	m, ok := v.(map[string]any)
	if !ok {
		return Object{}, "a manifest must be a mapping with apiVersion and kind"
	}
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	if apiVersion == "" || kind == "" {
		// unstructured would say so quoting the whole object
		return Object{}, "a manifest needs apiVersion and kind, both strings"
	}
	// a JSON round trip gives the value types unstructured expects
	// (int64, float64, map[string]any)
	b, err := json.Marshal(m)
	if err != nil {
		return Object{}, "a value cannot be written as JSON: " + escape(strings.TrimPrefix(err.Error(), "json: "), 80)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		return Object{}, "not a Kubernetes object: " + escape(err.Error(), 80)
	}
	if u.GetName() == "" && u.GetGenerateName() == "" {
		return Object{}, escape(kind, excerptRunes) + " has no metadata.name"
	}
	if kind == "List" {
		return Object{}, "List objects are not supported; write each object as its own document"
	}
	return Object{Unstructured: u}, ""
}

// checkText finds the first character YAML does not allow (yaml.v3 would
// refuse it without saying where): invalid UTF-8, or a control character
// other than tab, line feed and carriage return. A linear scan.
func checkText(data []byte) (line int, msg string) {
	line = 1
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n':
				line++
			case c == '\t' || c == '\r' || (c >= 0x20 && c != 0x7f):
			default:
				return line, fmt.Sprintf("control character U+%04X: YAML allows tab, line breaks and printable characters only", c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, fmt.Sprintf("invalid UTF-8 (byte 0x%02X): save the file as UTF-8", c)
		case r == 0x85, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000:
		default:
			return line, fmt.Sprintf("control character U+%04X: YAML allows tab, line breaks and printable characters only", r)
		}
		i += size
	}
	return 0, ""
}

// syntaxProblem reports a parse error at its line. yaml.v3's messages are
// its own words, but for an unknown anchor's name, which is quoted short.
func (r *reader) syntaxProblem(display string, data []byte, err error) {
	msg := trimYAML(err.Error())
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, msg, _ = strings.Cut(msg, ": ")
	} else {
		line = 0
	}
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok && strings.HasSuffix(name, "' referenced") {
		name = strings.TrimSuffix(name, "' referenced")
		if line == 0 {
			line = lineOf(data, "*"+name)
		}
		r.problem(display, line, "YAML syntax: unknown anchor %s", excerpt(name))
		return
	}
	r.problem(display, line, "YAML syntax: %s", escape(msg, 100))
}

func trimYAML(msg string) string { return strings.TrimPrefix(msg, "yaml: ") }

// lineOf is the line of the first s in data, 0 if none.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 0
	}
	return 1 + bytes.Count(data[:i], []byte("\n"))
}

func (r *reader) timeoutMsg() string {
	if errors.Is(r.ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("reading stopped here: the submission took longer than %s to read (spec.submission.limits.timeout)", r.lim.Timeout.Duration)
	}
	return "reading stopped here: " + escape(fmt.Sprint(r.ctx.Err()), 80)
}

func (r *reader) problem(file string, line int, format string, a ...any) {
	r.refused = append(r.refused, Refusal{File: escape(file, 0), Line: line, Why: escape(fmt.Sprintf(format, a...), 0)})
}

// ReadError is what ReadLimited could not read: each file or document
// refused, with where and why.
type ReadError struct {
	Refused []Refusal
}

// Error is one "file:line: what" a line (see problemLines).
func (e *ReadError) Error() string { return strings.Join(problemLines(e.Refused), "\n") }

// problemLines is each refusal on one line, "file:line: what". Every part
// that comes from the submission is escaped already; escaping the whole
// line again changes nothing but what the parts make together ("::" across
// a joint).
func problemLines(rs []Refusal) []string {
	lines := make([]string, len(rs))
	for i, rf := range rs {
		lines[i] = escape(rf.String(), 0)
	}
	return lines
}
