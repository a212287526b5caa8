package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A CEL source mentions before or after as variables, not as fields or
// parts of other names.
func TestMentions(t *testing.T) {
	for src, want := range map[string]bool{
		"after.production == before.production": true,
		"size(after) > 0":                       true,
		"job.after == 1":                        false,
		"job.attempts_after < 2":                false,
		"afterwards == 1":                       false,
		"job.outcome == 'Complete'":             false,
	} {
		assert.Equal(t, want, mentions(src, "before", "after"), src)
	}
}
