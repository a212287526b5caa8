package spec

import "github.com/labgrade/labgrade/grader/expr"

// HTTPCheck sends a request to a Service through the API server's service
// proxy (no port-forward, nothing exposed on the host) and passes when one
// answer has the expected status, JSON fields and latency.
//
//labgrade:checkkind http HTTP: a Service answers a request as expected.
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

	programs []*expr.Program
}

// Default is a GET of / over http, expecting 200.
func (h *HTTPCheck) Default(*Check) {
	if h.Method == "" {
		h.Method = "GET"
	}
	if h.Scheme == "" {
		h.Scheme = "http"
	}
	if h.Path == "" {
		h.Path = "/"
	}
	if h.Status == 0 {
		h.Status = 200
	}
}

// Validate checks the request names a Service port and a path, and
// compiles the CEL.
func (h *HTTPCheck) Validate(v Validator) {
	if h.Service == "" {
		v.Problemf("", "http in %s needs a service", v.Where())
	}
	if h.Port.IsZero() {
		v.Problemf("", "http in %s needs a port", v.Where())
	}
	requestPath(v, "path", "http path", h.Path)
	h.programs = v.CEL("cel", expr.HTTP, h.CEL)
}

// Programs are the compiled CEL expressions, in the lab's order.
func (h *HTTPCheck) Programs() ([]*expr.Program, error) { return compiled(h.CEL, h.programs) }

// Subject is the Service.
func (h *HTTPCheck) Subject() (apiVersion, kind, name string) { return "v1", "Service", h.Service }

// Effects: an http check is quick. On a working Service it is one request
// through the API server's proxy, answered in milliseconds like the
// learner's own curl; it changes no object, and it answers what the
// learner most wants to know at every save (does my Service serve?).
func (h *HTTPCheck) Effects() Effects { return Effects{Quick: true} }
