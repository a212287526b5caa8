package spec

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// AccessCheck asks the API server what a service account may do: one
// SubjectAccessReview per expected request, authorized as the account's
// pods would be. It passes when every answer is the expected one, so that
// the account may do what its workload needs and nothing the lab forbids.
// It changes nothing in the cluster.
//
//labgrade:checkkind access Access: a service account may make the requests the lab lists as allowed, and not those it lists as denied.
type AccessCheck struct {
	// ServiceAccount whose permissions are asked, as the user
	// system:serviceaccount:NAMESPACE:NAME.
	ServiceAccount string `json:"serviceAccount"`
	// Namespace of the service account and of the requests asked about
	// (default: the lab namespace).
	Namespace string `json:"namespace,omitempty" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
	// Expect lists requests and whether each must be allowed.
	Expect []AccessRequest `json:"expect" jsonschema:"minItems=1"`
}

// AccessRequest is one request a service account might make, and the
// answer expected.
type AccessRequest struct {
	// Verb of the request: get, list, watch, create, update, patch,
	// delete...
	Verb string `json:"verb"`
	// Group of the resource: "" (the default) is the core group, else e.g.
	// apps or batch.
	Group string `json:"group,omitempty"`
	// Resource as RBAC rules name it, a lower-case plural: secrets, events,
	// deployments.
	Resource string `json:"resource"`
	// Subresource, e.g. log (pods/log) or scale.
	Subresource string `json:"subresource,omitempty"`
	// Name of one object; empty asks about every object of the resource.
	Name string `json:"name,omitempty"`
	// Allowed is the answer expected: true, the request must be allowed;
	// false, denied.
	Allowed bool `json:"allowed"`
}

// String is the request as messages say it: "list secrets", "get
// deployments.apps web", "get pods/log".
func (r AccessRequest) String() string {
	s := r.Verb + " " + r.Resource
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	if r.Group != "" {
		s += "." + r.Group
	}
	if r.Name != "" {
		s += " " + r.Name
	}
	return s
}

// Default has nothing to fill in: the namespace defaults to the lab's at
// run time, which the spec does not know.
func (a *AccessCheck) Default(*Check) {}

// Validate checks the service account's name and that each request could
// match an RBAC rule: a request RBAC can never allow would make any
// "denied" expectation pass whatever the learner does.
func (a *AccessCheck) Validate(v Validator) {
	where := v.Where()
	switch {
	case a.ServiceAccount == "":
		v.Problemf("", "access in %s needs serviceAccount, the service account whose permissions are asked", where)
	case len(validation.IsDNS1123Subdomain(a.ServiceAccount)) > 0:
		v.Problemf("serviceAccount", "serviceAccount %q in %s is not a valid service account name", a.ServiceAccount, where)
	}
	if a.Namespace != "" && len(validation.IsDNS1123Label(a.Namespace)) > 0 {
		v.Problemf("namespace", "namespace %q in %s is not a valid namespace name", a.Namespace, where)
	}
	if len(a.Expect) == 0 {
		v.Problemf("", "access in %s needs expect: the requests to ask about", where)
	}
	seen := map[AccessRequest]int{}
	for i, r := range a.Expect {
		at := fmt.Sprintf("expect[%d]", i)
		if r.Verb == "" {
			v.Problemf(at+".verb", "verb of %s in %s must not be empty", at, where)
		}
		if r.Resource == "" {
			v.Problemf(at+".resource", "resource of %s in %s must not be empty", at, where)
		} else if r.Resource != strings.ToLower(r.Resource) {
			v.Problemf(at+".resource", "resource %q in %s: RBAC names resources in lower-case plural (secrets, not Secret)", r.Resource, where)
		}
		key := r
		key.Allowed = false
		if j, dup := seen[key]; dup {
			v.Problemf(at, "%s in %s asks about %s again (first expect[%d])", at, where, r, j)
		}
		seen[key] = i
	}
}

// Subject is the service account, when it is in the lab namespace (the
// subject carries no namespace).
func (a *AccessCheck) Subject() (apiVersion, kind, name string) {
	if a.Namespace != "" {
		return "", "", ""
	}
	return "v1", "ServiceAccount", a.ServiceAccount
}

// Effects: a SubjectAccessReview is a question to the API server; it
// changes nothing, and answers at once.
func (a *AccessCheck) Effects() Effects { return Effects{Quick: true} }
