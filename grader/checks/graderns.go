package checks

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GraderNamespace holds the pods the grader runs itself (load generators).
// They are kept out of the grading's namespace because there the learner
// is an admin: a learner's pod given rights by the learner's own Role
// could delete the load generator, rewrite it, or read its control token
// from its spec in the middle of a rollout. The learner's service account
// has no rights here, and labgrade refuses any submission object outside
// the grading's namespace (apply.NamespacedOnly), admission webhooks
// included, so nothing the learner applies can reach these pods' specs.
const GraderNamespace = "labgrade-grader"

// ensureGraderNamespace creates the grader's namespace when it is missing.
// It enforces the restricted Pod Security level: the grader's own pods
// meet it, and nothing else belongs there.
func ensureGraderNamespace(ctx context.Context, env Env) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: GraderNamespace, Labels: map[string]string{
		"app.kubernetes.io/managed-by":       "labgrade",
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	_, err := env.Clients.Typed.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the grader's namespace %s: %w", GraderNamespace, err)
	}
	return nil
}

// restricted is a container security context that meets the restricted
// Pod Security level.
func restricted() *corev1.SecurityContext {
	yes, no := true, false
	return &corev1.SecurityContext{
		RunAsNonRoot: &yes, AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
		Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}
