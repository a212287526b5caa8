// Package spec is the lab file format, labgrade.dev/v1alpha1.
//
// A lab is one YAML document of kind Lab. The Go types here are the format:
// their doc comments become the JSON Schema (schema/lab.schema.json) and the
// reference in docs/, both generated, so the three cannot drift apart.
// Field names are the JSON names; a field whose tag lacks omitempty is
// required.
//
// Each check kind is one file here: its type, marked
// //labgrade:checkkind, with its defaults, validation and effects (the Kind
// interface, kind.go). hack/gen-kinds makes the kinds fields of Check
// (zz_generated_kinds.go); the kind's execution is one file of
// grader/checks. docs/authoring.md, "Adding a check kind", walks through
// adding one.
package spec

// APIVersion and Kind every lab file must declare.
const (
	APIVersion = "labgrade.dev/v1alpha1"
	KindLab    = "Lab"
)
