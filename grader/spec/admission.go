package spec

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// AdmissionCheck asks the API server whether it would accept an object in
// the grading namespace: a server-side dry run of its creation, which
// passes through every admission step (ResourceQuotas, LimitRanges, Pod
// Security, admission policies and webhooks) and stores nothing. It
// passes when the answer is the expected one: accepted, or refused with a
// message that contains the expected reason ("exceeded quota"). A quota
// or policy the learner has just applied may not count at once (a quota
// is enforced once its controller has computed its status), so the
// question is asked again, every half second, until the answer is the
// expected one or the check's time is up.
//
// The object is the lab's, not the learner's: the check measures what the
// namespace's rules do to it. The grader makes the request with its own
// identity; quotas and Pod Security apply to every identity alike.
//
//labgrade:checkkind admission Admission: the API server accepts, or refuses for the expected reason, an object the lab describes (a dry run: nothing is created).
type AdmissionCheck struct {
	// Object is the manifest of a namespaced object, created in the
	// grading namespace in a dry run (a namespace it names is replaced).
	Object map[string]any `json:"object"`
	// Allowed is the answer expected: true, the API server must accept the
	// object; false, it must refuse it.
	Allowed bool `json:"allowed"`
	// Reason is text the refusal's message must contain, e.g. "exceeded
	// quota" or "violates PodSecurity"; only with allowed false. Without
	// it any refusal will do.
	Reason string `json:"reason,omitempty"`
}

// admissionTimeout is an admission check's timeout when the lab gives
// none: a quota's status is computed within a second or two.
const admissionTimeout = 15 * time.Second

// Default gives the check its short timeout.
func (a *AdmissionCheck) Default(c *Check) {
	if c.Timeout.Duration == 0 {
		c.Timeout.Duration = admissionTimeout
	}
}

// Validate checks that the object names its apiVersion, kind and name,
// and that a reason comes only with a refusal.
func (a *AdmissionCheck) Validate(v Validator) {
	where := v.Where()
	if len(a.Object) == 0 {
		v.Problemf("", "admission in %s needs object, the manifest to create in a dry run", where)
		return
	}
	u := unstructured.Unstructured{Object: a.Object}
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		v.Problemf("object", "object in %s needs apiVersion and kind", where)
	}
	if u.GetName() == "" && u.GetGenerateName() == "" {
		v.Problemf("object", "object in %s needs metadata.name (or generateName)", where)
	}
	if a.Allowed && a.Reason != "" {
		v.Problemf("reason", "reason %q in %s is the reason of a refusal: it goes with allowed: false", a.Reason, where)
	}
}

// Subject: the object is the lab's, not one of the submission's.
func (a *AdmissionCheck) Subject() (apiVersion, kind, name string) { return "", "", "" }

// Effects: a dry run stores nothing and answers at once.
func (a *AdmissionCheck) Effects() Effects { return Effects{Quick: true} }

// String is the object as messages name it: "Pod/over-budget".
func (a *AdmissionCheck) String() string {
	u := unstructured.Unstructured{Object: a.Object}
	name := u.GetName()
	if name == "" {
		name = u.GetGenerateName() + "…"
	}
	return fmt.Sprintf("%s/%s", u.GetKind(), name)
}
