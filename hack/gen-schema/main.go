// gen-schema writes schema/lab.schema.json and docs/spec-reference.md from
// the lab spec's Go types and doc comments. Run it from the repository root
// (make generate); tests fail when the committed files are stale.
package main

import (
	"fmt"
	"os"

	"github.com/labgrade/labgrade/grader/spec"
)

func main() {
	schema, err := spec.Schema("grader/spec")
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(spec.SchemaFile, schema, 0o644); err != nil {
		fail(err)
	}
	ref, err := spec.Reference(schema)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(spec.ReferenceFile, ref, 0o644); err != nil {
		fail(err)
	}
	fmt.Println("wrote", spec.SchemaFile, "and", spec.ReferenceFile)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen-schema:", err)
	os.Exit(1)
}
