package spec

import "time"

// RolloutCheck updates the Deployment's image while traffic flows through
// its Service. It passes when no request failed, the rollout never left
// the Service fewer endpoints than replicas - maxUnavailable (watched, not
// sampled; a pod whose readiness probe fails for a while after it was
// ready is not taken away and still counts), and the rollout completed
// within the deadline. The new image stays.
//
//labgrade:checkkind rollout Rollout: a new version rolls out under live traffic without a failed request.
type RolloutCheck struct {
	DeploymentUpdate `json:",inline"`
	Traffic          `json:",inline"`
	// Deadline for the rollout to complete (default 120s).
	Deadline Duration `json:"deadline,omitempty"`
}

// rolloutTimeout is a rollout check's timeout when the lab gives none. The
// check runs as long as its rollout; the timeout is only a safety net above
// that.
const rolloutTimeout = 5 * time.Minute

// Default gives the traffic's defaults, a 120s deadline and the safety-net
// timeout.
func (r *RolloutCheck) Default(c *Check) {
	r.Traffic.setDefaults()
	if r.Deadline.Duration == 0 {
		r.Deadline.Duration = 120 * time.Second
	}
	if c.Timeout.Duration == 0 {
		c.Timeout.Duration = rolloutTimeout
	}
}

// Validate checks the update and the traffic.
func (r *RolloutCheck) Validate(v Validator) {
	r.DeploymentUpdate.validate(v)
	r.Traffic.validate(v, "")
}

// Subject is the Deployment rolled out.
func (r *RolloutCheck) Subject() (apiVersion, kind, name string) {
	return "apps/v1", "Deployment", r.Deployment
}

// Effects: the check changes the Deployment's image under load.
func (r *RolloutCheck) Effects() Effects {
	return Effects{Disruptive: true, Contained: true, SendsTraffic: true}
}
