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
	// Addons are manifests applied once to each kind cluster labgrade
	// makes or reuses for the lab, after its images are loaded and before
	// any grading: what the cluster itself must run, such as a
	// NetworkPolicy enforcer or a device plugin. They are applied with
	// labgrade's own rights (cluster-scoped objects allowed); a namespaced
	// object names its namespace (else kube-system). labgrade waits until
	// their DaemonSets and Deployments are ready. A cluster that is not
	// kind's (--kubeconfig) is taken as it stands: it must provide what
	// the addons would.
	Addons []Addon `json:"addons,omitempty"`
	// Nodes lays out the kind cluster labgrade creates: the control plane
	// first, then workers, each with the labels and taints it joins with
	// (default: one control-plane node, which also runs the workloads).
	// Every node costs memory and start-up time: lay out only what the lab
	// grades (a GPU worker and a CPU worker, to grade where pods land).
	Nodes []Node `json:"nodes,omitempty" jsonschema:"maxItems=4"`
	// Exclusive says a grading needs the cluster to itself: its checks use
	// what all namespaces share (a GPU node's devices, which a preemption
	// check fills; cluster-scoped names such as PriorityClasses). lab test
	// and batch then grade one submission at a time on the cluster.
	Exclusive bool `json:"exclusive,omitempty"`
}

// Addon is a part of the cluster a lab installs: its manifests, and what
// it makes the cluster offer once it runs.
type Addon struct {
	// Apply is a file or directory (relative to the lab directory) of
	// manifests.
	Apply string `json:"apply"`
	// Advertises is the extended resource the addon makes nodes offer (a
	// device plugin's, e.g. nvidia.com/gpu): labgrade then also waits until
	// a node's allocatable holds it, which the kubelet publishes some
	// seconds after the plugin registers. Without it, the first grading
	// could meet nodes that offer none yet.
	Advertises string `json:"advertises,omitempty"`
}

// Node is one node of the lab's kind cluster.
type Node struct {
	// Role is control-plane (exactly one, the first) or worker.
	Role string `json:"role" jsonschema:"enum=control-plane,enum=worker"`
	// Labels the node carries from the start (kubelet --node-labels).
	Labels map[string]string `json:"labels,omitempty"`
	// Taints the node registers with. A control-plane node of a cluster
	// with workers keeps kind's own NoSchedule taint besides.
	Taints []Taint `json:"taints,omitempty"`
}

// Taint repels pods that do not tolerate it.
type Taint struct {
	// Key of the taint, e.g. nvidia.com/gpu.
	Key string `json:"key"`
	// Value of the taint (optional).
	Value string `json:"value,omitempty"`
	// Effect is NoSchedule, PreferNoSchedule or NoExecute.
	Effect string `json:"effect" jsonschema:"enum=NoSchedule,enum=PreferNoSchedule,enum=NoExecute"`
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
	// their own: Namespaces first, then CRDs, then the rest in file order,
	// and the kinds that make pods (Pod, Deployment, Job, …) last, so their
	// ServiceAccounts, ConfigMaps and Secrets exist when pods are created.
	// A submission is applied the same way.
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
