package spec

// Sandbox is the namespace a submission is graded in, as the learner's
// manifests meet it. labgrade applies the submission as a service account
// of that namespace bound to the built-in admin role there (not with its
// own cluster-admin rights), refuses cluster-scoped objects and other
// namespaces before anything is applied, labels the namespace for Pod
// Security admission, and caps it with a ResourceQuota and a LimitRange.
// The lab's setup and the checks keep labgrade's own identity.
type Sandbox struct {
	// PodSecurity is the Pod Security Standard the namespace enforces:
	// privileged, baseline (the default: no privileged pods, host
	// namespaces, hostPath or added capabilities) or restricted. Violations
	// of restricted are reported as warnings in any case.
	PodSecurity string `json:"podSecurity,omitempty" jsonschema:"enum=privileged,enum=baseline,enum=restricted"`
	// Quota overrides hard limits of the namespace's ResourceQuota, by
	// resource name (requests.cpu: "8"). The defaults hold a lab's solution
	// with its rollouts and the grader's load generators, and keep a hog
	// from starving the node: requests.cpu 4, requests.memory 4Gi,
	// limits.cpu 8, limits.memory 8Gi, pods 30, services 10,
	// services.nodeports 0, services.loadbalancers 0,
	// persistentvolumeclaims 5, requests.storage 10Gi.
	Quota map[string]string `json:"quota,omitempty"`
}

// DefaultQuota is the sandbox's ResourceQuota unless the lab overrides a
// resource.
var DefaultQuota = map[string]string{
	"requests.cpu": "4", "requests.memory": "4Gi", "limits.cpu": "8", "limits.memory": "8Gi",
	"pods": "30", "services": "10", "services.nodeports": "0", "services.loadbalancers": "0",
	"persistentvolumeclaims": "5", "requests.storage": "10Gi",
}
