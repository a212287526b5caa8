// Package apply reads manifests (files or directories of YAML/JSON, any
// number of documents each) and server-side applies them through the
// dynamic client, so any kind works, custom resources included.
package apply

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// Read loads every manifest under path: a file, or a directory walked in
// lexical order (files ending .yaml, .yml or .json; subdirectories
// included), leaving out files directly in the directory whose names are in
// ignore. Problems name file and line.
func Read(path string, ignore ...string) ([]Object, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var files []string
	if !st.IsDir() {
		files = []string{path}
	} else {
		err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if filepath.Dir(p) == filepath.Clean(path) && slices.Contains(ignore, d.Name()) {
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
	}
	var objs []Object
	var problems []string
	for _, f := range files {
		o, err := readFile(f)
		if err != nil {
			problems = append(problems, err.Error())
		}
		objs = append(objs, o...)
	}
	if len(problems) > 0 {
		return objs, errors.New(strings.Join(problems, "\n"))
	}
	return objs, nil
}

func readFile(file string) ([]Object, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []Object
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return objs, fmt.Errorf("%s: YAML syntax: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].ShortTag() == "!!null") {
			continue // an empty document, e.g. after a trailing ---
		}
		line := n.Content[0].Line
		var v any
		if err := n.Decode(&v); err != nil {
			return objs, fmt.Errorf("%s:%d: %v", file, line, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return objs, fmt.Errorf("%s:%d: a manifest must be a mapping with apiVersion and kind", file, line)
		}
		// a JSON round trip gives the value types unstructured expects
		// (int64, float64, map[string]any)
		b, err := json.Marshal(m)
		if err != nil {
			return objs, fmt.Errorf("%s:%d: %v", file, line, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return objs, fmt.Errorf("%s:%d: %v", file, line, err)
		}
		if u.GetName() == "" && u.GetGenerateName() == "" {
			return objs, fmt.Errorf("%s:%d: %s has no metadata.name", file, line, u.GetKind())
		}
		if u.GetKind() == "List" {
			return objs, fmt.Errorf("%s:%d: List objects are not supported; write each object as its own document", file, line)
		}
		objs = append(objs, Object{Unstructured: u, File: file, Line: line})
	}
}
