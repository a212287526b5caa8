package cluster

import (
	"cmp"
	"context"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ServiceAccount is how the API server authenticates a service account's
// pods: the user system:serviceaccount:NS:NAME and the groups every
// service account of NS is in.
func ServiceAccount(ns, name string) (user string, groups []string) {
	return "system:serviceaccount:" + ns + ":" + name,
		[]string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
}

// MayDo asks the API server, with a SubjectAccessReview, whether service
// account sa of namespace ns may make a request, as its pods would be
// authorized. reason is the authorizer's, when it gives one (RBAC names
// the binding that allows).
func (c *Clients) MayDo(ctx context.Context, ns, sa string, attrs authzv1.ResourceAttributes) (allowed bool, reason string, err error) {
	user, groups := ServiceAccount(ns, sa)
	review := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: user, Groups: groups, ResourceAttributes: &attrs,
	}}
	got, err := c.Typed.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return got.Status.Allowed, cmp.Or(got.Status.Reason, got.Status.EvaluationError), nil
}
