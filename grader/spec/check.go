package spec

// Check is one graded expectation. Exactly one of resource, absent, http,
// rollout, rolloutHalts, drift and container must be set: it is the check's
// kind.
type Check struct {
	// ID is the check's stable name: lower-case letters, digits and '-'.
	// Reports and broken variants' expect.yaml refer to it.
	ID string `json:"id" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
	// Title says in one line what is expected, phrased as a fact.
	Title string `json:"title"`
	// Points the check is worth.
	Points int `json:"points" jsonschema:"minimum=1"`
	// Severity is required (the lab is not passed without it, whatever the
	// score) or recommended (the default: only its points count).
	Severity Severity `json:"severity,omitempty"`
	// Hints are shown on failure, most general first.
	Hints []string `json:"hints,omitempty"`
	// Visibility is visible (the default) or hidden: a hidden check counts,
	// but learner-facing outputs show only its title and points.
	Visibility Visibility `json:"visibility,omitempty"`
	// Timeout bounds how long the check waits for the cluster to reach the
	// expected state (default 30s).
	Timeout Duration `json:"timeout,omitempty"`
	// DependsOn lists checks that must pass first; when one does not, this
	// check fails without running and says why.
	DependsOn []string `json:"dependsOn,omitempty"`

	// Resource: an object (or every object a selector picks) matches.
	Resource *ResourceCheck `json:"resource,omitempty"`
	// Absent: no object matches.
	Absent *AbsentCheck `json:"absent,omitempty"`
	// HTTP: a Service answers a request as expected.
	HTTP *HTTPCheck `json:"http,omitempty"`
	// Rollout: a new version rolls out under live traffic without a failed
	// request.
	Rollout *RolloutCheck `json:"rollout,omitempty"`
	// RolloutHalts: a version that never becomes ready is stopped by the
	// progress deadline while the old version keeps serving.
	RolloutHalts *RolloutHaltsCheck `json:"rolloutHalts,omitempty"`
	// Drift: a data-drift monitor is configured well and, with behaviour,
	// flags exactly the drift it is shown.
	Drift *DriftCheck `json:"drift,omitempty"`
	// Container: an image runs well as a plain container on the host.
	Container *ContainerCheck `json:"container,omitempty"`
}

// Subject names the object the check is about, when it is about one
// object: what a failure is explained by and pointed at.
func (c *Check) Subject() (apiVersion, kind, name string) {
	switch {
	case c.Resource != nil && c.Resource.Name != "":
		return c.Resource.APIVersion, c.Resource.Kind, c.Resource.Name
	case c.HTTP != nil:
		return "v1", "Service", c.HTTP.Service
	case c.Rollout != nil:
		return "apps/v1", "Deployment", c.Rollout.Deployment
	case c.RolloutHalts != nil:
		return "apps/v1", "Deployment", c.RolloutHalts.Deployment
	case c.Drift != nil:
		return "apps/v1", "Deployment", c.Drift.Monitor
	}
	return "", "", ""
}

// IsDisruptive reports whether the check changes the cluster (rollouts). The
// runner runs such checks one at a time, after all the others.
func (c *Check) IsDisruptive() bool { return c.Rollout != nil || c.RolloutHalts != nil }

// Traffic is the steady load a rollout check sends through a Service while
// it changes the Deployment: a pod of the lab's load generator image, one new
// connection per request, every answer recorded.
type Traffic struct {
	// Service that receives the traffic, in the lab namespace.
	Service string `json:"service"`
	// Port of the Service, by number or name.
	Port IntOrString `json:"port"`
	// Path that is POSTed to (default /predict).
	Path string `json:"path,omitempty"`
	// Rate in requests per second (default 20).
	Rate int `json:"rate,omitempty" jsonschema:"minimum=1,maximum=500"`
	// LoadgenImage is the load generator (fixtures/images/loadgen), one of
	// the lab's images.
	LoadgenImage string `json:"loadgenImage"`
}

// DeploymentUpdate names the Deployment a rollout check changes and the
// image it sets.
type DeploymentUpdate struct {
	// Deployment name, in the lab namespace.
	Deployment string `json:"deployment"`
	// Container whose image is changed (default: the first).
	Container string `json:"container,omitempty"`
	// Image set during the check.
	Image string `json:"image"`
}

// RolloutCheck updates the Deployment's image while traffic flows through
// its Service. It passes when no request failed, the Service's ready
// endpoints never fell below replicas - maxUnavailable (watched, not
// sampled), and the rollout completed within the deadline. The new image
// stays.
type RolloutCheck struct {
	DeploymentUpdate `json:",inline"`
	Traffic          `json:",inline"`
	// Deadline for the rollout to complete (default 120s).
	Deadline Duration `json:"deadline,omitempty"`
}

// RolloutHaltsCheck sets an image that never becomes ready while traffic
// flows. It passes when the Deployment's progressDeadlineSeconds is at most
// maxProgressDeadline, the Deployment reports ProgressDeadlineExceeded in
// time, and the Service kept answering from the old pods throughout. The
// previous image is restored afterwards.
type RolloutHaltsCheck struct {
	DeploymentUpdate `json:",inline"`
	Traffic          `json:",inline"`
	// MaxProgressDeadline is the longest progressDeadlineSeconds the lab
	// accepts (a failed rollout must be noticed this soon).
	MaxProgressDeadline Duration `json:"maxProgressDeadline"`
}

// Severity of a check.
type Severity string

// Severities.
const (
	SeverityRequired    Severity = "required"
	SeverityRecommended Severity = "recommended"
)

// Visibility of a check's details to the learner.
type Visibility string

// Visibilities.
const (
	VisibilityVisible Visibility = "visible"
	VisibilityHidden  Visibility = "hidden"
)

// Target names the objects a check looks at: one object by name, or all
// objects a label selector picks.
type Target struct {
	// APIVersion of the objects, e.g. apps/v1.
	APIVersion string `json:"apiVersion"`
	// Kind of the objects, e.g. Deployment. Custom resources work once their
	// CRD is established.
	Kind string `json:"kind"`
	// Name of one object. Give name or selector, not both; with neither,
	// every object of the kind in the namespace is taken.
	Name string `json:"name,omitempty"`
	// Selector is a label selector (app=model,tier!=cache).
	Selector string `json:"selector,omitempty"`
	// Namespace defaults to the lab namespace; ignored for cluster-scoped
	// kinds.
	Namespace string `json:"namespace,omitempty"`
}

// ResourceCheck passes when the targeted objects exist and each matches
// expect and every CEL expression. It is re-evaluated on every change the
// API server reports, until it passes or the check times out.
type ResourceCheck struct {
	Target `json:",inline"`
	// Expect is a partial object: keys it leaves out are ignored; a list
	// matches when each expected element matches a distinct actual element,
	// in any order; scalars compare as read back from the API server, so
	// after defaulting ("1Gi" equals "1024Mi"); null means "must be absent".
	Expect map[string]any `json:"expect,omitempty"`
	// CEL expressions that must all be true. object is the object (with a
	// name), objects the list of objects (with a selector).
	CEL []string `json:"cel,omitempty"`
	// MinCount is how many objects a selector must pick at least (default 1).
	MinCount int `json:"minCount,omitempty" jsonschema:"minimum=0"`
}

// AbsentCheck passes when no targeted object matches: every object that
// matches expect (if given) and all CEL expressions (if given) is an
// offender. With neither, any object at all is an offender.
type AbsentCheck struct {
	Target `json:",inline"`
	// Expect is a partial object, matched as in resource checks.
	Expect map[string]any `json:"expect,omitempty"`
	// CEL expressions, with object bound to each candidate.
	CEL []string `json:"cel,omitempty"`
}

// HTTPCheck sends a request to a Service through the API server's service
// proxy (no port-forward, nothing exposed on the host) and passes when one
// answer has the expected status, JSON fields and latency.
type HTTPCheck struct {
	// Service name, in the lab namespace unless namespace is set.
	Service string `json:"service"`
	// Namespace of the Service (default: the lab namespace).
	Namespace string `json:"namespace,omitempty"`
	// Port is the Service port, by number or name.
	Port IntOrString `json:"port"`
	// Scheme is http (default) or https.
	Scheme string `json:"scheme,omitempty" jsonschema:"enum=http,enum=https"`
	// Method is GET (default), POST, PUT, PATCH, DELETE or HEAD.
	Method string `json:"method,omitempty" jsonschema:"enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE,enum=HEAD"`
	// Path of the request, starting with '/'.
	Path string `json:"path,omitempty"`
	// Body of the request, sent as application/json when it parses as JSON.
	Body string `json:"body,omitempty"`
	// Status expected (default 200).
	Status int `json:"status,omitempty" jsonschema:"minimum=100,maximum=599"`
	// JSON is a partial object the response body must match (as expect does
	// in resource checks).
	JSON map[string]any `json:"json,omitempty"`
	// CEL expressions over the answer: status (int), body (string), json
	// (the parsed body, when it is JSON) and latencyMs (double).
	CEL []string `json:"cel,omitempty"`
	// LatencyBudget is the slowest acceptable answer (e.g. 500ms).
	LatencyBudget Duration `json:"latencyBudget,omitempty"`
}
