package lab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/labgrade/labgrade/grader/spec"
)

// Load reads the lab in dir (a lab directory, or its lab.yaml). Any problem
// is returned as an *Error listing every problem with file:line:col.
func Load(dir string) (*Lab, error) {
	file := dir
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		file = filepath.Join(dir, FileName)
	}
	abs, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{[]Problem{{File: file, Msg: "no lab here: " + FileName + " not found"}}}
		}
		return nil, &Error{[]Problem{{File: file, Msg: err.Error()}}}
	}
	return Parse(file, abs, data)
}

// Parse reads a lab from data; file names it in messages, dir is the lab
// directory that relative paths in it are resolved against.
func Parse(file, dir string, data []byte) (*Lab, error) {
	l, err := parse(file, dir, data)
	if e, ok := err.(*Error); ok { // messages quote values: keep them one printable line
		for i := range e.Problems {
			e.Problems[i].Msg = printable(e.Problems[i].Msg)
		}
	}
	return l, err
}

func parse(file, dir string, data []byte) (*Lab, error) {
	w := &strictWalker{file: file, pos: map[string]position{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{[]Problem{{File: file, Msg: "the file is empty"}}}
		}
		return nil, &Error{[]Problem{yamlSyntaxProblem(file, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{[]Problem{{File: file, Line: extra.Line, Col: extra.Column, Msg: "a lab file holds one document; found a second one"}}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	w.walk(root, reflect.TypeFor[spec.Lab](), "", "the lab")
	if len(w.problems) > 0 {
		return nil, &Error{w.problems}
	}
	l := &Lab{File: file, Dir: dir, pos: w.pos}
	// The tree has the right shape, so strict decoding cannot find unknown
	// fields; it can still refuse a value (a bad duration), at a known path.
	if err := sigsyaml.UnmarshalStrict(data, &l.Lab); err != nil {
		return nil, &Error{[]Problem{{File: file, Msg: strings.TrimPrefix(err.Error(), "error unmarshaling JSON: while decoding JSON: ")}}}
	}
	applyDefaults(&l.Lab)
	v := &validator{lab: l}
	v.validate()
	if len(v.problems) > 0 {
		return nil, &Error{v.problems}
	}
	return l, nil
}

// yamlSyntaxProblem turns yaml.v3's "yaml: line 7: ..." into file:7:1.
func yamlSyntaxProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ": ")
		return Problem{File: file, Line: line, Col: 1, Msg: "YAML syntax: " + rest}
	}
	return Problem{File: file, Msg: "YAML syntax: " + msg}
}

// applyDefaults fills in what the lab left out: each check's kind first
// (a kind may give its check a timeout that fits its run), then what every
// check has.
func applyDefaults(l *spec.Lab) {
	l.Spec.Submission.Limits = l.Spec.Submission.Limits.WithDefaults()
	for i := range l.Spec.Checks {
		c := &l.Spec.Checks[i]
		for _, k := range c.Given() { // one, unless validation will refuse the check
			k.Default(c)
		}
		if c.Severity == "" {
			c.Severity = spec.SeverityRecommended
		}
		if c.Visibility == "" {
			c.Visibility = spec.VisibilityVisible
		}
		if c.Timeout.Duration == 0 {
			c.Timeout.Duration = DefaultTimeout
		}
	}
}
