package report

import (
	"encoding/json"
	"io"

	"github.com/labgrade/labgrade/grader/result"
)

// JSON writes the versioned JSON report (schema: docs/report-schema.md).
func JSON(w io.Writer, r *result.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
