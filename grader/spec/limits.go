package spec

import (
	"cmp"
	"fmt"
	"time"
)

// SubmissionLimits bound what labgrade reads of a submission, so that a
// hostile one cannot exhaust the grader's memory or time. A file or
// submission over a limit is refused with its file (and line) and the
// limit's name, as the learner's problem. A field left out, or 0, takes its
// default; a lab raises a limit only when its solution needs more.
type SubmissionLimits struct {
	// FileBytes is the largest manifest file read, in bytes; what YAML
	// aliases in it expand to counts as well (default 1048576, 1 MiB: about
	// the most one object may hold in the API server).
	FileBytes int64 `json:"fileBytes,omitempty" jsonschema:"minimum=1"`
	// TotalBytes is the most read from the whole submission, in bytes, alias
	// expansions included (default 10485760, 10 MiB).
	TotalBytes int64 `json:"totalBytes,omitempty" jsonschema:"minimum=1"`
	// Files is the most manifest files (.yaml, .yml, .json) a submission may
	// hold (default 200).
	Files int `json:"files,omitempty" jsonschema:"minimum=1"`
	// Documents is the most YAML documents in one file (default 500).
	Documents int `json:"documents,omitempty" jsonschema:"minimum=1"`
	// Keys is the most keys in one mapping (default 10000).
	Keys int `json:"keys,omitempty" jsonschema:"minimum=1"`
	// Depth is the deepest nesting of mappings and lists, a document's top
	// level being 1 (default 100, at most 1000).
	Depth int `json:"depth,omitempty" jsonschema:"minimum=1,maximum=1000"`
	// Aliases is how many values YAML aliases (*name) may add to the whole
	// submission, an alias counting every value it stands for (default
	// 10000).
	Aliases int64 `json:"aliases,omitempty" jsonschema:"minimum=1"`
	// Timeout bounds the reading of the whole submission (default 30s).
	Timeout Duration `json:"timeout,omitempty"`
}

// DefaultSubmissionLimits are the limits of a lab that sets none.
var DefaultSubmissionLimits = SubmissionLimits{
	FileBytes:  1 << 20,
	TotalBytes: 10 << 20,
	Files:      200,
	Documents:  500,
	Keys:       10000,
	Depth:      100,
	Aliases:    10000,
	Timeout:    Duration{30 * time.Second},
}

// MaxDepth is the most Depth may be: deeper nesting gains nothing and goes
// past what the YAML and JSON decoders allow.
const MaxDepth = 1000

// WithDefaults is l with every field left at 0 set to its default.
func (l SubmissionLimits) WithDefaults() SubmissionLimits {
	d := DefaultSubmissionLimits
	l.FileBytes = cmp.Or(l.FileBytes, d.FileBytes)
	l.TotalBytes = cmp.Or(l.TotalBytes, d.TotalBytes)
	l.Files = cmp.Or(l.Files, d.Files)
	l.Documents = cmp.Or(l.Documents, d.Documents)
	l.Keys = cmp.Or(l.Keys, d.Keys)
	l.Depth = cmp.Or(l.Depth, d.Depth)
	l.Aliases = cmp.Or(l.Aliases, d.Aliases)
	l.Timeout.Duration = cmp.Or(l.Timeout.Duration, d.Timeout.Duration)
	return l
}

// LimitProblem is one field of SubmissionLimits out of range.
type LimitProblem struct {
	Field string // JSON name, e.g. "fileBytes"
	Msg   string
}

// Problems lists the fields out of range, in field order.
func (l SubmissionLimits) Problems() []LimitProblem {
	var out []LimitProblem
	positive := func(field string, v int64) {
		if v < 0 {
			out = append(out, LimitProblem{field, fmt.Sprintf("spec.submission.limits.%s must be positive (or left out for the default), not %d", field, v)})
		}
	}
	positive("fileBytes", l.FileBytes)
	positive("totalBytes", l.TotalBytes)
	positive("files", int64(l.Files))
	positive("documents", int64(l.Documents))
	positive("keys", int64(l.Keys))
	positive("depth", int64(l.Depth))
	if l.Depth > MaxDepth {
		out = append(out, LimitProblem{"depth", fmt.Sprintf("spec.submission.limits.depth is at most %d, not %d", MaxDepth, l.Depth)})
	}
	positive("aliases", l.Aliases)
	if l.Timeout.Duration < 0 {
		out = append(out, LimitProblem{"timeout", fmt.Sprintf("spec.submission.limits.timeout must be positive, not %s", l.Timeout.Duration)})
	}
	return out
}
