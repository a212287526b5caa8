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
	"time"

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

func trafficOf(c *spec.Check) *spec.Traffic {
	switch {
	case c.Rollout != nil:
		return &c.Rollout.Traffic
	case c.RolloutHalts != nil:
		return &c.RolloutHalts.Traffic
	case c.Drift != nil && c.Drift.Behaviour != nil:
		return &c.Drift.Behaviour.Traffic
	}
	return nil
}

func defaultDrift(c *spec.Check, d *spec.DriftCheck) {
	if d.Port == 0 {
		d.Port = 8080
	}
	b := d.Behaviour
	if b == nil {
		return
	}
	if b.Deadline.Duration == 0 {
		b.Deadline.Duration = 60 * time.Second
	}
	if b.Tolerance == 0 {
		b.Tolerance = 1e-6
	}
	for i := range b.Drift {
		if b.Drift[i].Scale == 0 {
			b.Drift[i].Scale = 1
		}
	}
	if c.Timeout.Duration == 0 {
		// two traffic phases, each bounded by the deadline, plus starting
		// the load generator and waiting for evaluations: a safety net
		c.Timeout.Duration = 3*b.Deadline.Duration + time.Minute
	}
}

func applyDefaults(l *spec.Lab) {
	for i := range l.Spec.Checks {
		c := &l.Spec.Checks[i]
		if c.Timeout.Duration == 0 && c.IsDisruptive() {
			// A rollout check runs as long as its rollout; its timeout is
			// only a safety net above that.
			c.Timeout.Duration = 5 * time.Minute
		}
		if d := c.Drift; d != nil {
			defaultDrift(c, d)
		}
		if k := c.Container; k != nil {
			if k.Port == 0 {
				k.Port = 8080
			}
			if k.ReadyPath == "" {
				k.ReadyPath = "/readyz"
			}
			if k.StartupBudget.Duration == 0 {
				k.StartupBudget.Duration = 30 * time.Second
			}
			if c.Timeout.Duration == 0 {
				// pulling nothing, starting and a few requests
				c.Timeout.Duration = k.StartupBudget.Duration + time.Minute
			}
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
		if r := c.Resource; r != nil && r.MinCount == 0 {
			r.MinCount = 1
		}
		for _, t := range []*spec.Traffic{trafficOf(c)} {
			if t == nil {
				continue
			}
			if t.Path == "" {
				t.Path = "/predict"
			}
			if t.Rate == 0 {
				t.Rate = 20
			}
		}
		if r := c.Rollout; r != nil && r.Deadline.Duration == 0 {
			r.Deadline.Duration = 120 * time.Second
		}
		if h := c.HTTP; h != nil {
			if h.Method == "" {
				h.Method = "GET"
			}
			if h.Scheme == "" {
				h.Scheme = "http"
			}
			if h.Path == "" {
				h.Path = "/"
			}
			if h.Status == 0 {
				h.Status = 200
			}
		}
	}
}
