package spec

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

func (t *Traffic) setDefaults() {
	if t.Path == "" {
		t.Path = "/predict"
	}
	if t.Rate == 0 {
		t.Rate = 20
	}
}

// validate reports traffic that has nowhere to go or no load generator the
// nodes hold; at is where the traffic's fields sit within the kind.
func (t Traffic) validate(v Validator, at string) {
	if t.Service == "" || t.Port.IsZero() {
		v.Problemf(at, "%s must name the service and port that receive traffic", v.Where())
	}
	if t.Path != "" {
		requestPath(v, joinField(at, "path"), "path", t.Path)
	}
	if !v.DeclaredImage(t.LoadgenImage) {
		v.Problemf(joinField(at, "loadgenImage"), "%s needs loadgenImage, one of spec.cluster.images, not %q", v.Where(), t.LoadgenImage)
	}
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

// validate reports an update without its Deployment or image, or with an
// image the nodes do not hold.
func (u DeploymentUpdate) validate(v Validator) {
	if u.Deployment == "" || u.Image == "" {
		v.Problemf("", "%s must name the deployment and the image to set", v.Where())
	}
	if u.Image != "" && !v.DeclaredImage(u.Image) {
		v.Problemf("image", "%s sets image %q, which is not one of spec.cluster.images (nodes cannot pull it)", v.Where(), u.Image)
	}
}
