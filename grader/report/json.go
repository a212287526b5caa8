package report

import (
	"encoding/json"
	"io"

	"github.com/labgrade/labgrade/grader/result"
)

// JSON writes the versioned JSON report (schema: docs/report-schema.md),
// every string through Safe: the report is printed to stdout (-o json) and
// read back by scripts (jq -r) that print its strings.
func JSON(w io.Writer, r *result.Result) error {
	r = sanitize(r)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
