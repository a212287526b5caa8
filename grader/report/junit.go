package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/labgrade/labgrade/grader/result"
)

// JUnit XML as CI servers read it (the Jenkins/Ant flavour GitLab, GitHub
// actions and Jenkins accept): one testsuite per lab, one testcase per
// check, a <failure> for fail and an <error> for error, and a <skipped>
// testcase per check a partial run left out, so CI shows it was partial.
// Two testcases come before the checks when there is something to say: a
// "submission" testcase, failed when anything was refused (listed), with
// the problems applying the submission as its <system-out>; and an
// "environment" testcase with an <error> when the run could not grade, so
// no CI reporter shows such a run as green.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	SystemErr  string          `xml:"system-err,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes r as JUnit XML, every string through Safe; encoding/xml
// escapes the rest, and writes U+FFFD for what XML cannot hold.
func JUnit(w io.Writer, r *result.Result) error {
	r = sanitize(r)
	s := junitSuite{Name: r.Lab, Tests: len(r.Checks), Time: secs(r.DurationSeconds),
		Properties: []junitProperty{
			{"score", fmt.Sprint(r.Score)}, {"maxScore", fmt.Sprint(r.MaxScore)},
			{"passingScore", fmt.Sprint(r.PassingScore)}, {"verdict", string(r.Verdict)},
		}}
	if len(r.Refused) > 0 || len(r.Problems) > 0 {
		tc := junitCase{Name: "submission", Classname: "labgrade." + r.Lab, Time: secs(0)}
		if len(r.Refused) > 0 {
			s.Failures++
			tc.Failure = &junitProblem{Message: refusedHeading(r), Type: "refused", Text: result.RefusalLines(r.Refused)}
		}
		if len(r.Problems) > 0 {
			tc.SystemOut = "Problems applying your work:\n" + strings.Join(r.Problems, "\n")
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	if r.EnvironmentError != "" {
		first, _, _ := strings.Cut(r.EnvironmentError, "\n")
		s.Tests++
		s.Errors++
		s.Cases = append(s.Cases, junitCase{Name: "environment", Classname: "labgrade." + r.Lab, Time: secs(0),
			Error: &junitProblem{Message: "labgrade could not grade (not the learner's fault): " + first, Type: "environment", Text: r.EnvironmentError}})
	}
	for _, c := range r.Checks {
		tc := junitCase{Name: fmt.Sprintf("%s: %s", c.ID, c.Title), Classname: "labgrade." + r.Lab, Time: secs(c.DurationSeconds)}
		text := c.Message
		if c.File != "" {
			text += fmt.Sprintf("\nat: %s:%d (%s)", c.File, c.Line, c.Subject)
		}
		if d := c.Diagnostics; d != nil && d.Summary != "" {
			text += "\nseen: " + d.Summary
		}
		for _, h := range c.Hints {
			text += "\nhint: " + h
		}
		switch c.Outcome {
		case result.Fail:
			s.Failures++
			tc.Failure = &junitProblem{Message: cmp.Or(c.Message, "check did not pass"), Type: "fail", Text: text}
		case result.Error:
			s.Errors++
			tc.Error = &junitProblem{Message: cmp.Or(c.Message, "check could not run"), Type: "error", Text: text}
		}
		s.Cases = append(s.Cases, tc)
	}
	for _, id := range r.Skipped {
		s.Tests++
		s.Skipped++
		s.Cases = append(s.Cases, junitCase{Name: id, Classname: "labgrade." + r.Lab, Time: secs(0),
			Skipped: &junitSkipped{Message: "left out: " + fullGradeHint(r)}})
	}
	if r.EnvironmentError != "" {
		s.SystemErr = r.EnvironmentError
	}
	doc := junitSuites{Name: "labgrade", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func secs(s float64) string { return fmt.Sprintf("%.3f", s) }
