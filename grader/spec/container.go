package spec

import (
	"fmt"
	"time"
)

// ContainerCheck runs an image as a plain container on the grading host
// (with testcontainers-go, not in the cluster) and passes when it becomes
// ready within the budget, runs as a non-root user (unless allowRoot), and
// answers each request as expected. Use it for an image the learner builds.
//
//labgrade:checkkind container Container: an image runs well as a plain container on the host.
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

// Default serves on 8080, ready on /readyz within 30s, each request a GET
// answered 200; the timeout covers the startup budget and the requests.
func (k *ContainerCheck) Default(c *Check) {
	if k.Port == 0 {
		k.Port = 8080
	}
	if k.ReadyPath == "" {
		k.ReadyPath = "/readyz"
	}
	if k.StartupBudget.Duration == 0 {
		k.StartupBudget.Duration = 30 * time.Second
	}
	for i := range k.Requests {
		r := &k.Requests[i]
		if r.Method == "" {
			r.Method = "GET"
		}
		if r.Status == 0 {
			r.Status = 200
		}
	}
	if c.Timeout.Duration == 0 {
		// pulling nothing, starting and a few requests
		c.Timeout.Duration = k.StartupBudget.Duration + time.Minute
	}
}

// Validate checks there is an image and each request has a path.
func (k *ContainerCheck) Validate(v Validator) {
	if k.Image == "" {
		v.Problemf("", "container in %s needs an image", v.Where())
	}
	for i, r := range k.Requests {
		requestPath(v, fmt.Sprintf("requests[%d].path", i), "request path", r.Path)
	}
}

// Subject: the container is not a cluster object.
func (k *ContainerCheck) Subject() (apiVersion, kind, name string) { return "", "", "" }

// Effects: none on the cluster, but the check starts a container on the
// host and waits for it, tens of seconds: not quick.
func (k *ContainerCheck) Effects() Effects { return Effects{} }
