// Package traffic is the contract between the load generator
// (fixtures/images/loadgen) and the grader's rollout checks: the summary the
// load generator reports and the grader judges.
package traffic

import (
	"fmt"
	"time"
)

// RequestTimeout is how long the load generator waits for one answer.
// 15 s: a request that is never answered (sent to a pod that is gone)
// fails all the same, only later; at 5 s, answers that a loaded node gave
// late failed correct rollouts in CI now and then. The grader allows for
// it when it judges the load generator's rate.
const RequestTimeout = 15 * time.Second

// Summary is what the load generator reports.
type Summary struct {
	Sent            int                `json:"sent"`
	OK              int                `json:"ok"`
	Failed          int                `json:"failed"`
	Codes           map[string]int     `json:"codes"`
	Errors          map[string]int     `json:"errors,omitempty"`
	FirstFailure    string             `json:"firstFailure,omitempty"`
	LatencyMs       map[string]float64 `json:"latencyMs"`
	DurationSeconds float64            `json:"durationSeconds"`
	Done            bool               `json:"done"`
}

// String says how many requests failed, and the first failure.
func (s Summary) String() string {
	msg := fmt.Sprintf("%d of %d requests failed", s.Failed, s.Sent)
	if s.FirstFailure != "" {
		msg += " (first: " + s.FirstFailure + ")"
	}
	return msg
}

// Rows are the feature rows the load generator sent, answered or not (a
// request it gave up on may still have been served), in the order their
// answers came, each in the order of Features.
type Rows struct {
	Features []string    `json:"features"`
	Rows     [][]float64 `json:"rows"`
}
