package spec

// Lab is one graded exercise: a scenario labgrade sets up in a cluster, the
// learner's submission applied on top, and the checks that grade it.
type Lab struct {
	// APIVersion must be labgrade.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be Lab.
	Kind string `json:"kind"`
	// Metadata names the lab.
	Metadata Metadata `json:"metadata"`
	// Spec is the lab itself.
	Spec LabSpec `json:"spec"`
}

// Metadata identifies a lab.
type Metadata struct {
	// Name is the lab's id, used on the command line (labgrade run NAME) and
	// in the cluster name labgrade-NAME. Lower-case letters, digits and '-'.
	Name string `json:"name" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
}

// LabSpec describes the scenario, the submission and the checks.
type LabSpec struct {
	// Title is the one-line name shown to learners.
	Title string `json:"title"`
	// Description says in a sentence or two what the learner builds.
	Description string `json:"description,omitempty"`
	// Level is the audience: beginner, intermediate or professional.
	Level string `json:"level,omitempty" jsonschema:"enum=beginner,enum=intermediate,enum=professional"`
	// Track groups labs in a course (free text, e.g. implementation).
	Track string `json:"track,omitempty"`
	// Minutes is the time a learner should plan for.
	Minutes int `json:"minutes,omitempty" jsonschema:"minimum=1"`
	// Namespace is where the scenario and the submission live. labgrade
	// creates it, and deletes and recreates it when a cluster is reused.
	Namespace string `json:"namespace" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
	// Cluster lists what the cluster needs before the scenario is applied.
	Cluster Cluster `json:"cluster,omitempty"`
	// Setup is applied in order before the learner's work: the scenario.
	Setup []SetupStep `json:"setup,omitempty"`
	// Submission says where the learner's manifests are by default.
	Submission Submission `json:"submission,omitempty"`
	// Sandbox says what a grading's namespace lets the learner's
	// submission do; the defaults fit most labs.
	Sandbox Sandbox `json:"sandbox,omitempty"`
	// PassingScore is the share of points, in percent, needed to pass. Every
	// check of severity required must pass as well.
	PassingScore int `json:"passingScore" jsonschema:"minimum=0,maximum=100"`
	// Checks grade the submission. Checks without dependsOn run concurrently.
	Checks []Check `json:"checks" jsonschema:"minItems=1"`
}

// Cluster is what a lab needs from its kind cluster.
type Cluster struct {
	// Images are built from source on the host and loaded into every node,
	// so the lab never pulls from a registry.
	Images []Image `json:"images,omitempty"`
	// EndpointSyncDelay is the least time between kube-proxy's rule updates
	// (its iptables minSyncPeriod): Service endpoint changes then reach the
	// nodes up to this late, as in a busy production cluster. kind applies
	// them almost at once, which hides whether a workload drains gracefully
	// when its pods stop. Applies to the kind clusters labgrade creates.
	EndpointSyncDelay Duration `json:"endpointSyncDelay,omitempty"`
}

// Image is a container image a lab builds from a directory of Go source and
// a Dockerfile, and loads into the cluster's nodes.
type Image struct {
	// Name is the image reference the lab's manifests use, with a tag that is
	// not latest (e.g. labgrade.local/echo:1.0).
	Name string `json:"name"`
	// Build is the directory, relative to the lab directory, holding a Go
	// main package and a Dockerfile. labgrade compiles the package
	// (CGO_ENABLED=0, for the nodes' OS and architecture) to ./app inside
	// the build context, then builds the Dockerfile.
	Build string `json:"build"`
	// BuildArgs are passed to the Go program's build as -ldflags -X values
	// (key = fully qualified variable, value = its string).
	BuildArgs map[string]string `json:"buildArgs,omitempty"`
}

// SetupStep is one step of the scenario.
type SetupStep struct {
	// Apply is a file or directory (relative to the lab directory) of
	// manifests, server-side applied in the lab namespace unless they name
	// their own.
	Apply string `json:"apply"`
}

// Submission locates the learner's work.
type Submission struct {
	// Path is the learner's directory, relative to where labgrade runs,
	// used when --submission is not given.
	Path string `json:"path,omitempty"`
	// Limits bound what labgrade reads of a submission.
	Limits SubmissionLimits `json:"limits,omitempty"`
	// Allow lists the cluster-scoped kinds a submission may hold; any
	// other cluster-scoped object is refused.
	Allow []AllowedKind `json:"allow,omitempty"`
}
