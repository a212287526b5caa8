package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/invopop/jsonschema"
)

// Duration is a time.Duration written as a Go duration string ("30s",
// "1m30s").
type Duration struct{ time.Duration }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"30s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30s\" or \"1m30s\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// JSONSchema describes Duration as a string.
func (Duration) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", Pattern: `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`,
		Description: "A Go duration such as 30s, 500ms or 1m30s."}
}

// IntOrString is a port given by number or by name.
type IntOrString struct {
	Int int
	Str string
}

// UnmarshalJSON accepts a number or a string.
func (p *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		p.Int = 0
		return json.Unmarshal(b, &p.Str)
	}
	p.Str = ""
	return json.Unmarshal(b, &p.Int)
}

// MarshalJSON writes whichever form is set.
func (p IntOrString) MarshalJSON() ([]byte, error) {
	if p.Str != "" {
		return json.Marshal(p.Str)
	}
	return json.Marshal(p.Int)
}

// String is the port as a service proxy path segment wants it.
func (p IntOrString) String() string {
	if p.Str != "" {
		return p.Str
	}
	return strconv.Itoa(p.Int)
}

// IsZero reports whether no port was given.
func (p IntOrString) IsZero() bool { return p.Int == 0 && p.Str == "" }

// JSONSchema describes IntOrString as an integer or a string.
func (IntOrString) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "integer", Minimum: "1", Maximum: "65535"}, {Type: "string"}},
		Description: "A port number or a port name."}
}
