package lab

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// position is where a value stands in the lab file.
type position struct{ line, col int }

// strictWalker checks a YAML node tree against a Go type before any
// decoding, so every problem can name its line and column. (sigs.k8s.io/yaml's
// strict mode goes through JSON and loses positions, hence this walk.) It
// also records the position of every path it visits, for the semantic checks
// that come after decoding.
type strictWalker struct {
	file     string
	problems []Problem
	pos      map[string]position // "spec.checks[2].points" -> where
}

var (
	jsonUnmarshaler = reflect.TypeFor[interface{ UnmarshalJSON([]byte) error }]()
	anyType         = reflect.TypeFor[any]()
)

func (w *strictWalker) add(n *yaml.Node, format string, args ...any) {
	w.problems = append(w.problems, Problem{File: w.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

// walk checks node against t. path is the JSON path of node; where names the
// enclosing object for messages ("check \"probe\"", "spec").
func (w *strictWalker) walk(n *yaml.Node, t reflect.Type, path, where string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	w.pos[path] = position{n.Line, n.Column}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	field := lastSegment(path)
	switch {
	case t == anyType:
		return
	case reflect.PointerTo(t).Implements(jsonUnmarshaler) && t.Kind() == reflect.Struct:
		// Types with their own JSON form (Duration, IntOrString) are scalars.
		if n.Kind != yaml.ScalarNode {
			w.add(n, "field %q in %s: expected a single value, got %s", field, where, nodeKind(n))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		w.walkStruct(n, t, path, where)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.add(n, "field %q in %s: expected a list, got %s", field, where, nodeKind(n))
			return
		}
		for i, item := range n.Content {
			w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), where)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.add(n, "field %q in %s: expected a mapping, got %s", field, where, nodeKind(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value, where)
		}
	case reflect.String:
		w.scalar(n, "!!str", "a string", field, where)
	case reflect.Int, reflect.Int64:
		w.scalar(n, "!!int", "an integer", field, where)
	case reflect.Bool:
		w.scalar(n, "!!bool", "true or false", field, where)
	}
}

func (w *strictWalker) scalar(n *yaml.Node, tag, want, field, where string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tag {
		w.add(n, "field %q in %s: expected %s, got %s", field, where, want, nodeKind(n))
	}
}

func (w *strictWalker) walkStruct(n *yaml.Node, t reflect.Type, path, where string) {
	if n.Kind != yaml.MappingNode {
		w.add(n, "field %q in %s: expected a mapping, got %s", lastSegment(path), where, nodeKind(n))
		return
	}
	fields := jsonFields(t)
	inner := where
	if t.Name() == "Check" { // messages inside a check name the check by id
		inner = "check #" + lastIndex(path)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" && n.Content[i+1].Value != "" {
				inner = fmt.Sprintf("check %q", n.Content[i+1].Value)
			}
		}
	} else if path != "" && !strings.HasPrefix(where, "check ") {
		inner = path
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if seen[key.Value] {
			w.add(key, "field %q appears twice in %s", key.Value, inner)
			continue
		}
		seen[key.Value] = true
		f, ok := fields[key.Value]
		if !ok {
			msg := fmt.Sprintf("field %q not allowed in %s", key.Value, inner)
			if s := closest(key.Value, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			w.add(key, "%s", msg)
			continue
		}
		w.walk(val, f.typ, joinPath(path, key.Value), inner)
	}
	for name, f := range fields {
		if f.required && !seen[name] {
			w.add(n, "missing required field %q in %s", name, inner)
		}
	}
}

type fieldInfo struct {
	typ      reflect.Type
	required bool
}

// jsonFields lists a struct's fields by JSON name, flattening embedded
// structs the way encoding/json does.
func jsonFields(t reflect.Type) map[string]fieldInfo {
	out := map[string]fieldInfo{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = fieldInfo{typ: f.Type, required: !strings.Contains(opts, "omitempty")}
	}
	return out
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!null":
			return "nothing (null)"
		default:
			return n.Value
		}
	}
	return "an unexpected value"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func lastSegment(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.Index(path, "["); i >= 0 {
		path = path[:i]
	}
	return path
}

func lastIndex(path string) string {
	i := strings.LastIndex(path, "[")
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(path[i+1:], "]")
}

// closest suggests the known field nearest to a misspelt one (edit distance
// at most 2), so "pionts" gets "did you mean \"points\"?".
func closest(key string, fields map[string]fieldInfo) string {
	best, bestD := "", 3
	for name := range fields {
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance (Levenshtein plus
// swaps of neighbours, the commonest typo: "pionts"). Field lists are short,
// so the plain dynamic programme is enough.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
