package lab

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec"
)

func TestSubmissionLimitsDefaults(t *testing.T) {
	l, err := Load(writeLab(t, goodLab))
	require.NoError(t, err)
	assert.Equal(t, spec.DefaultSubmissionLimits, l.Spec.Submission.Limits, "a lab that sets none gets the defaults")

	lab := strings.Replace(goodLab, "  passingScore: 70\n", "  passingScore: 70\n  submission:\n    limits: {fileBytes: 2097152, keys: 20000, timeout: 1m}\n", 1)
	l, err = Load(writeLab(t, lab))
	require.NoError(t, err)
	want := spec.DefaultSubmissionLimits
	want.FileBytes, want.Keys, want.Timeout = 2097152, 20000, spec.Duration{Duration: time.Minute}
	assert.Equal(t, want, l.Spec.Submission.Limits, "what the lab sets, defaults for the rest")
}

func TestSubmissionLimitsValidated(t *testing.T) {
	lab := strings.Replace(goodLab, "  passingScore: 70\n", "  passingScore: 70\n  submission:\n    limits:\n      files: -3\n      depth: 5000\n      timeout: -1s\n      keys: many\n", 1)
	_, err := Load(writeLab(t, lab))
	var le *Error
	require.True(t, errors.As(err, &le), "%v", err)
	var got []string
	for _, p := range le.Problems {
		got = append(got, p.String()[strings.Index(p.String(), "lab.yaml"):])
	}
	assert.Equal(t, []string{`lab.yaml:13:13: field "keys" in spec.submission.limits: expected an integer, got the string "many"`}, got,
		"the type first, as for any field")

	lab = strings.Replace(lab, "      keys: many\n", "", 1)
	_, err = Load(writeLab(t, lab))
	require.True(t, errors.As(err, &le), "%v", err)
	got = nil
	for _, p := range le.Problems {
		got = append(got, p.String()[strings.Index(p.String(), "lab.yaml"):])
	}
	assert.Equal(t, []string{
		"lab.yaml:10:14: spec.submission.limits.files must be positive (or left out for the default), not -3",
		"lab.yaml:11:14: spec.submission.limits.depth is at most 1000, not 5000",
		"lab.yaml:12:16: spec.submission.limits.timeout must be positive, not -1s",
	}, got)
}

func TestParseProblemsArePrintable(t *testing.T) {
	// a value the lab file writes with escapes is quoted by the YAML
	// decoder's message as it is: Parse writes its controls visibly
	lab := strings.Replace(goodLab, "    points: 10\n", "    points: !!int \"\\e[31m\\n::x\"\n", 1)
	_, err := Parse("lab.yaml", t.TempDir(), []byte(lab))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\x1b")
	assert.Equal(t, 0, strings.Count(err.Error(), "\n"), "one problem, one line: %s", err)
	assert.Contains(t, err.Error(), `\x1b[31m\x0a::x`)
}
