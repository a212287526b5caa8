// Package spec is the lab file format, labgrade.dev/v1alpha1.
//
// A lab is one YAML document of kind Lab. The Go types here are the format:
// their doc comments become the JSON Schema (schema/lab.schema.json) and the
// reference in docs/, both generated, so the three cannot drift apart.
// Field names are the JSON names; a field whose tag lacks omitempty is
// required.
package spec

// APIVersion and Kind every lab file must declare.
const (
	APIVersion = "labgrade.dev/v1alpha1"
	KindLab    = "Lab"
)
