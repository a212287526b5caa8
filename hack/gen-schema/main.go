// gen-schema writes schema/lab.schema.json and the reference part of
// docs/authoring.md from the lab spec's Go types and doc
// comments. Run it from the repository root
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
	guide, err := os.ReadFile(spec.AuthoringFile)
	if err != nil {
		fail(err)
	}
	guide, err = spec.SpliceReference(guide, ref)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(spec.AuthoringFile, guide, 0o644); err != nil {
		fail(err)
	}
	fmt.Println("wrote", spec.SchemaFile, "and the reference in", spec.AuthoringFile)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen-schema:", err)
	os.Exit(1)
}
