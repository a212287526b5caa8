package labtest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/labgrade/labgrade/grader/result"
)

func run(outcomes map[string]result.Outcome) *result.Result {
	r := &result.Result{PassingScore: 50}
	for _, id := range []string{"a", "b", "c"} {
		r.Checks = append(r.Checks, result.Check{ID: id, Outcome: outcomes[id], MaxPoints: 10, Severity: "recommended"})
	}
	r.Tally()
	return r
}

func TestJudge(t *testing.T) {
	all := map[string]result.Outcome{"a": result.Pass, "b": result.Pass, "c": result.Pass}
	c := &Case{Name: SolutionCase, Verdict: result.Passed, Result: run(all)}
	assert.Empty(t, judge(c))

	c = &Case{Name: SolutionCase, Verdict: result.Passed, Result: run(map[string]result.Outcome{"a": result.Pass, "b": result.Pass, "c": result.Fail})}
	assert.Equal(t, []string{"the solution scores 20 of 30", "fails undeclared: c"}, judge(c))

	c = &Case{Name: "broken/x", Want: []string{"a", "b"}, Verdict: result.NotPassed,
		Result: run(map[string]result.Outcome{"a": result.Fail, "b": result.Pass, "c": result.Error})}
	assert.Equal(t, []string{"fails undeclared: c", "passes declared failing: b", "check c ended in error: ", "verdict error, want not-passed"}, judge(c))

	c = &Case{Name: "broken/y", Want: []string{"a"}, Verdict: result.Passed, Result: run(map[string]result.Outcome{"a": result.Fail, "b": result.Pass, "c": result.Pass})}
	assert.Empty(t, judge(c), "a variant that only loses recommended points may still pass")

	env := &result.Result{EnvironmentError: "kind create failed"}
	assert.Equal(t, []string{"the run did not grade: kind create failed"}, judge(&Case{Name: SolutionCase, Result: env}))
}

func TestWriteTable(t *testing.T) {
	rep := &Report{Lab: "demo", Seconds: 12.5, Parallel: 4, Cases: []Case{
		{Name: SolutionCase, Verdict: result.Passed, Result: run(map[string]result.Outcome{"a": result.Pass, "b": result.Pass, "c": result.Pass}), Seconds: 5},
		{Name: "broken/x", Want: []string{"a"}, Verdict: result.NotPassed, Result: run(map[string]result.Outcome{"a": result.Fail, "b": result.Fail, "c": result.Pass}),
			Seconds: 4, Mismatches: []string{"fails undeclared: b"}},
	}}
	var b bytes.Buffer
	WriteTable(&b, rep)
	assert.Equal(t, `case     1  2  3  score seconds verdict
solution ok ok ok 30/30 5.0     ok
broken/x x  !x ok 10/30 4.0     MISMATCH

  1  a
  2  b
  3  c
broken/x: fails undeclared: b

lab demo: 2 cases in 12.5s (4 at a time), MISMATCHES: the lab is not proven
`, b.String())
}

func TestCaseNamespace(t *testing.T) {
	assert.Equal(t, "ml-serving-solution", CaseNamespace("ml-serving", SolutionCase))
	assert.Equal(t, "ml-serving-broken-no-pdb", CaseNamespace("ml-serving", "broken/no-pdb"))
	assert.Equal(t, "ml-serving-broken-under-score", CaseNamespace("ml-serving", "broken/Under_Score"))
	long := CaseNamespace("ml-serving", "broken/"+strings.Repeat("very-long-name-", 6))
	assert.LessOrEqual(t, len(long), 63, "a namespace name is a DNS label")
	assert.NotEqual(t, '-', long[len(long)-1], "that does not end in a dash")
}

// A case whose grading the environment stopped (a check in error, no
// grading at all) is graded again, as batch regrades a class's submission;
// a grade, even a failing one, is not; nor a case that declares error. The
// line says that the case was graded twice and why.
func TestGradeAgain(t *testing.T) {
	all := map[string]result.Outcome{"a": result.Pass, "b": result.Pass, "c": result.Pass}
	errored := map[string]result.Outcome{"a": result.Fail, "b": result.Pass, "c": result.Error}
	failing := map[string]result.Outcome{"a": result.Fail, "b": result.Pass, "c": result.Pass}
	assert.False(t, gradeAgain(&Case{Verdict: result.Passed, Result: run(all)}))
	assert.False(t, gradeAgain(&Case{Verdict: result.Passed, Result: run(failing)}), "a wrong grade is the lab's to explain")
	assert.True(t, gradeAgain(&Case{Verdict: result.NotPassed, Result: run(errored)}))
	assert.True(t, gradeAgain(&Case{Verdict: result.NotPassed, Result: &result.Result{EnvironmentError: "cluster gone"}}))
	assert.False(t, gradeAgain(&Case{Verdict: result.Errored, Result: run(errored)}), "an error it declares")

	c := &Case{Name: "broken/x", Want: []string{"a"}, Verdict: result.Passed, Result: run(failing),
		FirstAttempt: "check c ended in error: runc create failed"}
	c.Mismatches = judge(c)
	assert.Equal(t, "as declared (graded twice: the first grading could not grade: check c ended in error: runc create failed)", verdictLine(c))
}
