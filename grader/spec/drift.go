package spec

// DriftCheck grades a data-drift monitor that speaks the config format of
// fixtures/images/drift-monitor. The monitor's config is found where its
// Deployment mounts it: the container's -config argument (default
// /etc/drift-monitor/config.yaml), in a ConfigMap volume. The static part
// always runs: the config must be valid, watch exactly the model's features
// with an accepted test and threshold each, keep a large enough window,
// evaluate often enough, and alert somewhere the monitor is allowed to
// reach (an Event sink needs RBAC to create events, asked of the API
// server). With behaviour set, the check then drives traffic and judges
// what the monitor does.
type DriftCheck struct {
	// Monitor is the monitor's Deployment, in the lab namespace.
	Monitor string `json:"monitor"`
	// Port the monitor serves /status and /window on (default 8080). The
	// grader reads them through the API server's pod proxy.
	Port int `json:"port,omitempty" jsonschema:"minimum=1,maximum=65535"`
	// Features the model takes: the monitor must watch exactly these, each
	// with this type.
	Features []DriftFeature `json:"features"`
	// Reference is the reference dataset (a CSV file with a header row,
	// relative to the lab directory). The grader recomputes the monitor's
	// statistics against it, whatever reference the monitor was given.
	Reference string `json:"reference"`
	// Rules the monitor's config must follow.
	Rules DriftRules `json:"rules"`
	// Behaviour, when set, also sends traffic and judges the monitor by what
	// it does.
	Behaviour *DriftBehaviour `json:"behaviour,omitempty"`
}

// DriftFeature is one input of the model.
type DriftFeature struct {
	// Name of the feature, as the model server logs it.
	Name string `json:"name"`
	// Type is numeric or categorical.
	Type string `json:"type" jsonschema:"enum=numeric,enum=categorical"`
}

// DriftRules are what the lab accepts in a monitor's config.
type DriftRules struct {
	// Tests accepted per feature type, e.g. numeric: [ks, psi].
	Tests map[string][]string `json:"tests"`
	// Thresholds accepted per test: a p-value bound for ks and chi2, a
	// distance for psi, jensenshannon and wasserstein. A test without a
	// range accepts any threshold the monitor accepts.
	Thresholds map[string]Range `json:"thresholds,omitempty"`
	// MinWindow is the fewest samples the window may be sized to
	// (window.size); a window bounded only by duration is refused when set.
	MinWindow int `json:"minWindow,omitempty" jsonschema:"minimum=0"`
	// MaxInterval is the longest time between evaluations.
	MaxInterval Duration `json:"maxInterval,omitempty"`
}

// Range is a closed interval of numbers.
type Range struct {
	// Min is the smallest accepted value.
	Min float64 `json:"min"`
	// Max is the largest accepted value.
	Max float64 `json:"max"`
}

// DriftBehaviour drives the monitor through the model server. Phase one
// sends rows drawn from the reference for a full window: no feature may be
// flagged. Phase two shifts the named features: exactly those must be
// flagged within the deadline, and an alert delivered (an Event on the
// configured object, or a webhook delivery in the monitor's status). In
// each phase, after the traffic stops, the grader reads the monitor's
// window, recomputes every statistic against the lab's reference and
// requires agreement with the monitor's status, so a status that is faked
// or computed from other data fails.
type DriftBehaviour struct {
	// Traffic goes to the model server, whose inference logs must reach
	// the monitor.
	Traffic `json:",inline"`
	// Drift lists the features changed in phase two.
	Drift []FeatureShift `json:"drift"`
	// Deadline of each phase (default 60s).
	Deadline Duration `json:"deadline,omitempty"`
	// Tolerance is the relative difference allowed between the monitor's
	// statistics and the grader's (default 1e-6); p-values are compared
	// to the same amount absolutely.
	Tolerance float64 `json:"tolerance,omitempty" jsonschema:"minimum=0"`
}

// FeatureShift changes one feature of the rows the load generator sends:
// value*scale + shift.
type FeatureShift struct {
	// Feature name.
	Feature string `json:"feature"`
	// Shift added to every value.
	Shift float64 `json:"shift,omitempty"`
	// Scale multiplying every value (default 1).
	Scale float64 `json:"scale,omitempty"`
}

// ContainerCheck runs an image as a plain container on the grading host
// (with testcontainers-go, not in the cluster) and passes when it becomes
// ready within the budget, runs as a non-root user (unless allowRoot), and
// answers each request as expected. Use it for an image the learner builds.
type ContainerCheck struct {
	// Image to run, from the local Docker store.
	Image string `json:"image"`
	// Port the container serves on (default 8080).
	Port int `json:"port,omitempty" jsonschema:"minimum=1,maximum=65535"`
	// ReadyPath answers 200 once the container is ready (default /readyz).
	ReadyPath string `json:"readyPath,omitempty"`
	// StartupBudget bounds the time from start until ready (default 30s).
	StartupBudget Duration `json:"startupBudget,omitempty"`
	// AllowRoot accepts an image whose user is root.
	AllowRoot bool `json:"allowRoot,omitempty"`
	// Env is set in the container.
	Env map[string]string `json:"env,omitempty"`
	// Requests sent once the container is ready, in order.
	Requests []ContainerRequest `json:"requests,omitempty"`
}

// ContainerRequest is one request to a container and the answer expected.
type ContainerRequest struct {
	// Method is GET (default) or POST.
	Method string `json:"method,omitempty" jsonschema:"enum=GET,enum=POST"`
	// Path of the request, starting with '/'.
	Path string `json:"path"`
	// Body, sent as application/json.
	Body string `json:"body,omitempty"`
	// Status expected (default 200).
	Status int `json:"status,omitempty" jsonschema:"minimum=100,maximum=599"`
	// LatencyBudget is the slowest acceptable answer.
	LatencyBudget Duration `json:"latencyBudget,omitempty"`
}
