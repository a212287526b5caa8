package spec

// RolloutHaltsCheck sets an image that never becomes ready while traffic
// flows. It passes when the Deployment's progressDeadlineSeconds is at most
// maxProgressDeadline, the Deployment reports ProgressDeadlineExceeded in
// time, and the Service kept answering from the old pods throughout. The
// previous image is restored afterwards.
//
//labgrade:checkkind rolloutHalts RolloutHalts: a version that never becomes ready is stopped by the progress deadline while the old version keeps serving.
type RolloutHaltsCheck struct {
	DeploymentUpdate `json:",inline"`
	Traffic          `json:",inline"`
	// MaxProgressDeadline is the longest progressDeadlineSeconds the lab
	// accepts (a failed rollout must be noticed this soon).
	MaxProgressDeadline Duration `json:"maxProgressDeadline"`
}

// Default gives the traffic's defaults and the rollouts' safety-net
// timeout.
func (r *RolloutHaltsCheck) Default(c *Check) {
	r.Traffic.setDefaults()
	if c.Timeout.Duration == 0 {
		c.Timeout.Duration = rolloutTimeout
	}
}

// Validate checks the update, the traffic and the deadline.
func (r *RolloutHaltsCheck) Validate(v Validator) {
	r.DeploymentUpdate.validate(v)
	r.Traffic.validate(v, "")
	if r.MaxProgressDeadline.Duration <= 0 {
		v.Problemf("", "rolloutHalts in %s needs maxProgressDeadline", v.Where())
	}
}

// Subject is the Deployment rolled out.
func (r *RolloutHaltsCheck) Subject() (apiVersion, kind, name string) {
	return "apps/v1", "Deployment", r.Deployment
}

// Effects: the check changes the Deployment's image under load (and puts
// the previous one back).
func (r *RolloutHaltsCheck) Effects() Effects {
	return Effects{Disruptive: true, Contained: true, SendsTraffic: true}
}
