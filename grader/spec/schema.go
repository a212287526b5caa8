package spec

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/invopop/jsonschema"
)

// SchemaID is where the lab schema is published.
const SchemaID = "https://labgrade.dev/schema/lab.v1alpha1.json"

// Schema generates the JSON Schema of lab files from these Go types, with
// their doc comments as descriptions. srcDir is this package's source
// directory (the comments are read from the source).
func Schema(srcDir string) ([]byte, error) {
	// invopop keys comments by base joined with each file's directory, so
	// base is this package's import path with srcDir taken off its end.
	const pkgPath = "github.com/labgrade/labgrade/grader/spec"
	srcDir = filepath.ToSlash(filepath.Clean(srcDir))
	base := pkgPath
	if srcDir != "." {
		if !strings.HasSuffix(pkgPath, "/"+srcDir) {
			return nil, fmt.Errorf("schema: srcDir must be grader/spec relative to the repository root or '.', not %s", srcDir)
		}
		base = strings.TrimSuffix(pkgPath, "/"+srcDir)
	}
	r := &jsonschema.Reflector{ExpandedStruct: true}
	if err := r.AddGoComments(base, srcDir, jsonschema.WithFullComment()); err != nil {
		return nil, fmt.Errorf("reading doc comments in %s: %w", srcDir, err)
	}
	s := r.Reflect(&Lab{})
	s.ID = SchemaID
	s.Title = "labgrade lab (" + APIVersion + ")"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
