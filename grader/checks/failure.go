package checks

import (
	"errors"
	"fmt"

	"github.com/labgrade/labgrade/grader/result"
)

// Failure is the learner's failure: the cluster (or the image) is not as the
// check expects, and its message says what was expected and what was seen.
// Every other error a check returns is the environment's or the lab's: the
// API server could not be reached, the grader lacks permission, or the lab
// names something that cannot be checked. Only a Failure costs the learner
// points.
type Failure struct{ err error }

// Failf makes a Failure; %w wraps an error as fmt.Errorf does.
func Failf(format string, a ...any) error { return &Failure{fmt.Errorf(format, a...)} }

func (f *Failure) Error() string { return f.err.Error() }

func (f *Failure) Unwrap() error { return f.err }

// errInterrupted ends a check whose grading was cancelled (Ctrl-C): it says
// nothing of the learner's work.
var errInterrupted = errors.New("interrupted")

// Verdict turns what Run returned into the check's outcome and the message
// reports show: the evidence on pass, else the error's text.
func Verdict(evidence string, err error) (result.Outcome, string) {
	var f *Failure
	switch {
	case err == nil:
		return result.Pass, evidence
	case errors.As(err, &f):
		return result.Fail, err.Error()
	}
	return result.Error, err.Error()
}
