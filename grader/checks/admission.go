package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runAdmission) }

// runAdmission creates the lab's object in a dry run until the API
// server's answer is the expected one or the check's time is up (askAgain);
// the last answer stands.
func runAdmission(ctx context.Context, env Env, a *spec.AdmissionCheck) (string, error) {
	u := &unstructured.Unstructured{Object: a.Object}
	u = u.DeepCopy()
	gvk := u.GroupVersionKind()
	m, err := env.Clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	switch {
	case meta.IsNoMatchError(err):
		return "", fmt.Errorf("the cluster does not serve %s %s, the kind of the admission check's object", gvk.GroupVersion(), gvk.Kind)
	case err != nil:
		return "", fmt.Errorf("looking up %s: %v", gvk.Kind, err)
	case m.Scope.Name() != meta.RESTScopeNameNamespace:
		return "", fmt.Errorf("the admission check's object %s is cluster-scoped: it must be a namespaced kind, tried in the grading namespace", a)
	}
	u.SetNamespace(env.Namespace)
	return askAgain(ctx, func(ctx context.Context) (string, error) { return admitOnce(ctx, env, a, u, m) })
}

// admitOnce makes one dry run and judges its answer.
func admitOnce(ctx context.Context, env Env, a *spec.AdmissionCheck, u *unstructured.Unstructured, m *meta.RESTMapping) (string, error) {
	_, err := env.Clients.Dynamic.Resource(m.Resource).Namespace(env.Namespace).Create(ctx, u, metav1.CreateOptions{
		DryRun: []string{metav1.DryRunAll}, FieldManager: "labgrade-grader",
	})
	var status apierrors.APIStatus
	if err != nil && (!errors.As(err, &status) || apply.IsTransient(err)) { // no answer from admission
		return "", fmt.Errorf("dry run of %s in namespace %s: %w", a, env.Namespace, err)
	}
	refusal := ""
	if err != nil {
		refusal = strings.TrimSpace(err.Error())
	}
	switch {
	case a.Allowed && refusal == "":
		return fmt.Sprintf("the API server accepts %s (dry run)", a), nil
	case a.Allowed:
		return "", Failf("the API server refuses %s: %s", a, refusal)
	case refusal == "":
		return "", Failf("the API server accepts %s (dry run): nothing in namespace %s refuses it", a, env.Namespace)
	case a.Reason != "" && !strings.Contains(refusal, a.Reason):
		return "", Failf("the API server refuses %s, but not because of %q: %s", a, a.Reason, refusal)
	}
	return fmt.Sprintf("the API server refuses %s: %s", a, refusal), nil
}
