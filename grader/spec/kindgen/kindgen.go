// Package kindgen writes grader/spec's zz_generated_kinds.go from the check
// kind types of that package: each struct type whose doc comment carries
//
//	//labgrade:checkkind NAME SUMMARY
//
// becomes a field NAME of spec.Kinds (so of every check, of the JSON Schema
// and of the reference in docs/authoring.md), documented by SUMMARY, and a
// case of the functions that map kinds to names. hack/gen-kinds runs it
// (make generate); grader/spec's tests fail when the file is stale.
//
// It reads the source with go/parser, not the compiled package, so that it
// still runs when a stale generated file names a kind that is gone.
package kindgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// File is the generated file, in the spec package's directory.
const File = "zz_generated_kinds.go"

// Directive marks a check kind type.
const Directive = "//labgrade:checkkind "

// Kind is one check kind found in the source.
type Kind struct {
	// Name is the kind's field in lab.yaml, e.g. rolloutHalts.
	Name string
	// Type is the Go type, e.g. RolloutHaltsCheck; Field the Go field of
	// spec.Kinds, the type without its Check suffix.
	Type, Field string
	// Summary documents the field.
	Summary string
}

var kindName = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// Find returns the kinds declared in the Go files of dir (the spec
// package), sorted by name.
func Find(dir string) ([]Kind, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var kinds []Kind
	checkFields := map[string]bool{}
	var problems []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") || filepath.Base(path) == File {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if ts.Name.Name == "Check" {
					for name := range jsonNames(ts) {
						checkFields[name] = true
					}
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				k, found, err := kindOf(ts, doc)
				switch {
				case err != nil:
					problems = append(problems, fmt.Sprintf("%s: %v", fset.Position(ts.Pos()), err))
				case found:
					kinds = append(kinds, k)
				}
			}
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].Name < kinds[j].Name })
	for i, k := range kinds {
		if i > 0 && kinds[i-1].Name == k.Name {
			problems = append(problems, fmt.Sprintf("kind %s is declared twice, by %s and %s", k.Name, kinds[i-1].Type, k.Type))
		}
		if checkFields[k.Name] {
			problems = append(problems, fmt.Sprintf("kind %s (%s) has the name of a field of Check", k.Name, k.Type))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no type in %s is marked %s", dir, strings.TrimSpace(Directive))
	}
	return kinds, nil
}

// kindOf reads the directive of one type, if it has one.
func kindOf(ts *ast.TypeSpec, doc *ast.CommentGroup) (Kind, bool, error) {
	if doc == nil {
		return Kind{}, false, nil
	}
	for _, c := range doc.List {
		rest, ok := strings.CutPrefix(c.Text, Directive)
		if !ok {
			continue
		}
		name, summary, _ := strings.Cut(strings.TrimSpace(rest), " ")
		summary = strings.TrimSpace(summary)
		typ := ts.Name.Name
		field := strings.TrimSuffix(typ, "Check")
		switch _, isStruct := ts.Type.(*ast.StructType); {
		case !kindName.MatchString(name):
			return Kind{}, false, fmt.Errorf("%s: kind name %q must be a lowerCamel identifier, as lab.yaml spells it", typ, name)
		case summary == "":
			return Kind{}, false, fmt.Errorf("%s: %s%s needs a summary after the name: the doc of the check's %s field", typ, Directive, name, name)
		case !isStruct:
			return Kind{}, false, fmt.Errorf("%s: a check kind must be a struct type", typ)
		case field == typ || !ast.IsExported(field):
			return Kind{}, false, fmt.Errorf("%s: a check kind's type is named <Field>Check, e.g. ResourceCheck", typ)
		}
		return Kind{Name: name, Type: typ, Field: field, Summary: summary}, true, nil
	}
	return Kind{}, false, nil
}

// jsonNames lists the JSON names of a struct type's tagged fields.
func jsonNames(ts *ast.TypeSpec) map[string]bool {
	out := map[string]bool{}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		return out
	}
	for _, f := range st.Fields.List {
		if f.Tag == nil {
			continue
		}
		tag, err := strconv.Unquote(f.Tag.Value)
		if err != nil {
			continue
		}
		if name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ","); name != "" {
			out[name] = true
		}
	}
	return out
}

// Generate returns the content of File for the kinds in dir.
func Generate(dir string) ([]byte, error) {
	kinds, err := Find(dir)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, kinds); err != nil {
		return nil, err
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the generated code: %w\n%s", err, b.Bytes())
	}
	return out, nil
}

// wrap breaks text into comment lines of at most width characters, as
// the hand-written doc comments of the package are.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

var tmpl = template.Must(template.New(File).Funcs(template.FuncMap{
	"doc": func(s string) string {
		return "// " + strings.Join(wrap(s, 70), "\n\t// ")
	},
}).Parse(`// Code generated by hack/gen-kinds from the //labgrade:checkkind types of this package. DO NOT EDIT.

package spec

// Kinds holds a check's kind: one field per check kind, of which exactly
// one is set. Check embeds it, so in lab.yaml each kind is a field of the
// check.
type Kinds struct {
{{- range .}}
	{{doc .Summary}}
	{{.Field}} *{{.Type}} ` + "`" + `json:"{{.Name}},omitempty"` + "`" + `
{{- end}}
}

// KindNames are the check kinds as lab.yaml names them, sorted.
var KindNames = []string{ {{- range $i, $k := .}}{{if $i}}, {{end}}"{{$k.Name}}"{{end -}} }

// NewKind returns an empty kind of the given name, or nil when there is no
// such kind.
func NewKind(name string) Kind {
	switch name {
{{- range .}}
	case "{{.Name}}":
		return &{{.Type}}{}
{{- end}}
	}
	return nil
}

// KindName returns the name of k's kind, or "" when k is not a kind of
// this package.
func KindName(k Kind) string {
	switch k.(type) {
{{- range .}}
	case *{{.Type}}:
		return "{{.Name}}"
{{- end}}
	}
	return ""
}

// Given returns the kinds the check is given, in KindNames order: one in
// a valid lab.
func (k *Kinds) Given() []Kind {
	var set []Kind
{{- range .}}
	if k.{{.Field}} != nil {
		set = append(set, k.{{.Field}})
	}
{{- end}}
	return set
}
`))
