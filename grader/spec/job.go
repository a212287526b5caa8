package spec

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/labgrade/labgrade/grader/expr"
)

// JobCheck runs the learner's CronJob once, now, as `kubectl create job
// --from=cronjob/NAME` does (its jobTemplate, owned by the CronJob,
// annotated cronjob.kubernetes.io/instantiate=manual), with the
// environment overrides the lab names, and judges the run by what it does:
// it must end within the deadline, as expected (Complete, or Failed for
// the expected reason), having started no more pods than allowed, and the
// Service it reports to must answer as expected after it (CEL comparing
// the answers before and after the run). A missing CronJob, a run whose
// pods cannot start (a missing image, a missing Secret key, the quota)
// and a run that does not end in time are the learner's failures, each
// naming the object and the reason. The run's Job is left for the learner
// to inspect (the CronJob's ttlSecondsAfterFinished or history limits
// remove it).
//
// What it trusts: the Job's conditions and counts (the Job controller
// writes them; a namespace admin may not write jobs/status), the pods'
// statuses (the kubelet's) and the Job's FailedCreate events (the
// controller's, read only to explain a run without pods). The grader, not
// the learner, creates the run and sets the variables the lab names,
// over any the template sets. The query's answers are
// the Service's: point it at a service of the lab's scenario whose
// behaviour the lab controls (a registry image), not at one the learner
// writes.
//
//labgrade:checkkind job Job: a run triggered from a CronJob ends as expected, in time, and changes what it reports to as expected.
type JobCheck struct {
	// CronJob whose jobTemplate is run, in the lab namespace.
	CronJob string `json:"cronJob"`
	// Env sets variables in every container of the run (init containers
	// too), replacing the template's value (or valueFrom) of the same name:
	// what the lab feeds the run, e.g. the dataset version to train on.
	Env map[string]string `json:"env,omitempty"`
	// Deadline for the run to end, complete or failed (default 60s). A run
	// still going then fails the check. A run whose pods have all ended
	// but whose Job is not yet marked ended (a loaded node reports a pod's
	// end late, and the Job controller waits for it) gets up to 45s more;
	// if the Job still has not ended, the check ends in an environment
	// error, never a verdict.
	Deadline Duration `json:"deadline,omitempty"`
	// Outcome expected: Complete (the default) or Failed.
	Outcome string `json:"outcome,omitempty" jsonschema:"enum=Complete,enum=Failed"`
	// Reason of the Failed condition expected, e.g. PodFailurePolicy,
	// BackoffLimitExceeded or DeadlineExceeded; only with outcome Failed.
	Reason string `json:"reason,omitempty"`
	// MaxAttempts is the most pods the run may start (1: no retry). The
	// check fails as soon as one more starts, without waiting out the
	// retries.
	MaxAttempts int `json:"maxAttempts,omitempty" jsonschema:"minimum=0"`
	// Query is a GET to a Service of the lab namespace, made before the
	// run and after it ends, through the API server's service proxy; its
	// JSON answers are before and after in cel.
	Query *JobQuery `json:"query,omitempty"`
	// CEL expressions that must all be true after the run: job (name,
	// outcome, reason, attempts, seconds), before and after (the query's
	// answers, parsed; null without a query).
	CEL []string `json:"cel,omitempty"`

	programs []*expr.Program
}

// JobQuery is the request a job check makes before and after the run.
type JobQuery struct {
	// Service name, in the lab namespace.
	Service string `json:"service"`
	// Port of the Service, by number or name.
	Port IntOrString `json:"port"`
	// Path of the GET, starting with '/' (default /).
	Path string `json:"path,omitempty"`
}

// JobEndGrace is how long past its deadline a run whose pods have all
// ended may take to be marked ended: nothing the learner wrote runs any
// more, only the kubelet and the Job controller are behind. In CI a
// trainer that had exited with its bad-data code was not a failed pod, and
// its Job not failed, 60 s later.
const JobEndGrace = 45 * time.Second

// The outcomes of a run: its Job's final condition.
const (
	JobComplete = "Complete"
	JobFailed   = "Failed"
)

// Default expects completion within 60s; the check's timeout leaves room
// for the grace of a run whose pods ended and for the queries around the
// run.
func (j *JobCheck) Default(c *Check) {
	if j.Outcome == "" {
		j.Outcome = JobComplete
	}
	if j.Deadline.Duration == 0 {
		j.Deadline.Duration = 60 * time.Second
	}
	if j.Query != nil && j.Query.Path == "" {
		j.Query.Path = "/"
	}
	if c.Timeout.Duration == 0 {
		c.Timeout.Duration = j.Deadline.Duration + JobEndGrace + 30*time.Second
	}
}

// Validate checks the names, the outcome and its reason, the query, and
// compiles the CEL.
func (j *JobCheck) Validate(v Validator) {
	where := v.Where()
	switch {
	case j.CronJob == "":
		v.Problemf("", "job in %s needs cronJob, the CronJob whose template is run", where)
	case len(validation.IsDNS1123Subdomain(j.CronJob)) > 0:
		v.Problemf("cronJob", "cronJob %q in %s is not a valid CronJob name", j.CronJob, where)
	}
	for name := range j.Env {
		if errs := validation.IsEnvVarName(name); len(errs) > 0 {
			v.Problemf("env."+name, "env %q in %s is not a valid variable name: %s", name, where, errs[0])
		}
	}
	if j.Outcome != JobComplete && j.Outcome != JobFailed {
		v.Problemf("outcome", "outcome %q in %s must be Complete or Failed", j.Outcome, where)
	}
	if j.Reason != "" && j.Outcome != JobFailed {
		v.Problemf("reason", "reason in %s is the reason of a Failed run: set outcome: Failed, or leave reason out", where)
	}
	if j.MaxAttempts < 0 {
		v.Problemf("maxAttempts", "maxAttempts in %s must be at least 1 (or left out: any number)", where)
	}
	if j.Deadline.Duration < 0 {
		v.Problemf("deadline", "deadline in %s must be positive", where)
	}
	if q := j.Query; q != nil {
		if q.Service == "" || q.Port.IsZero() {
			v.Problemf("query", "query in %s must name the service and port to ask", where)
		}
		requestPath(v, "query.path", "query path", q.Path)
	}
	if j.Query == nil && len(j.CEL) > 0 {
		for i, src := range j.CEL {
			if mentions(src, "before", "after") {
				v.Problemf(fmt.Sprintf("cel[%d]", i), "cel[%d] in %s uses before or after, which only a query gives", i, where)
			}
		}
	}
	j.programs = v.CEL("cel", expr.Job, j.CEL)
}

// mentions reports whether a CEL source names one of the identifiers as
// a variable: a whole word, not a field such as x.before.
func mentions(src string, idents ...string) bool {
	isIdent := func(b byte) bool {
		return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
	}
	for _, id := range idents {
		for i := 0; i+len(id) <= len(src); i++ {
			end := i + len(id)
			if src[i:end] == id && (i == 0 || !isIdent(src[i-1]) && src[i-1] != '.') && (end == len(src) || !isIdent(src[end])) {
				return true
			}
		}
	}
	return false
}

// Programs are the compiled CEL expressions, in the lab's order.
func (j *JobCheck) Programs() ([]*expr.Program, error) { return compiled(j.CEL, j.programs) }

// Subject is the CronJob.
func (j *JobCheck) Subject() (apiVersion, kind, name string) { return "batch/v1", "CronJob", j.CronJob }

// Effects: the run changes the cluster, and whatever it reports to (a
// registry's production model), so it runs alone, after the other checks.
func (j *JobCheck) Effects() Effects { return Effects{Disruptive: true} }
