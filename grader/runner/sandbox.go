package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/spec"
)

// learnerAccount is the service account, in each grading's namespace,
// whose rights a submission is applied with.
const learnerAccount = "labgrade-learner"

// sandboxName names the ResourceQuota and LimitRange labgrade puts in a
// grading's namespace.
const sandboxName = "labgrade-sandbox"

// sandbox readies a fresh grading namespace for an untrusted submission:
// Pod Security admission labels, a ResourceQuota and a LimitRange, and
// the learner's service account bound to the built-in admin role in this
// namespace only. admin may create Roles and RoleBindings here, and the
// API server's escalation check keeps them within what admin holds; it
// may read but not change the quota, and it cannot touch the namespace
// object (its labels) or anything cluster-wide.
func (gr *grading) sandbox(ctx context.Context) error {
	c, ns, sb := gr.s.clients, gr.ns, gr.s.opts.Lab.Spec.Sandbox
	level := cmp.Or(sb.PodSecurity, "baseline")
	labels := map[string]string{
		"pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/enforce-version": "latest",
		"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest",
		"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "latest",
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
	if _, err := c.Typed.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("labelling namespace %s for Pod Security admission: %w", ns, err)
	}

	hard := corev1.ResourceList{}
	for name, q := range spec.DefaultQuota {
		hard[corev1.ResourceName(name)] = resource.MustParse(q)
	}
	for name, q := range sb.Quota { // validated by the loader
		if v, err := resource.ParseQuantity(q); err == nil {
			hard[corev1.ResourceName(name)] = v
		}
	}
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: sandboxName}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	if _, err := c.Typed.CoreV1().ResourceQuotas(ns).Create(ctx, quota, metav1.CreateOptions{}); orExists(err) != nil {
		return fmt.Errorf("the sandbox's ResourceQuota in %s: %w", ns, err)
	}
	// Every container gets requests and limits (a quota on CPU and memory
	// refuses pods without them), and none may take more than a share of
	// the node. The default request is small: the scheduler adds requests
	// up against the node's CPUs, and gradings side by side on a 2-core
	// kind node (about 0.9 cores requested by Kubernetes itself) would
	// leave pods Pending if every load generator asked for more.
	limits := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: sandboxName}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type:           corev1.LimitTypeContainer,
		DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		Default:        corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
		Max:            corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("2Gi")},
	}}}}
	if _, err := c.Typed.CoreV1().LimitRanges(ns).Create(ctx, limits, metav1.CreateOptions{}); orExists(err) != nil {
		return fmt.Errorf("the sandbox's LimitRange in %s: %w", ns, err)
	}

	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: learnerAccount}, AutomountServiceAccountToken: new(bool)}
	if _, err := c.Typed.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); orExists(err) != nil {
		return fmt.Errorf("the learner's service account in %s: %w", ns, err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: learnerAccount},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: learnerAccount, Namespace: ns}},
	}
	if _, err := c.Typed.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); orExists(err) != nil {
		return fmt.Errorf("the learner's role binding in %s: %w", ns, err)
	}
	return gr.awaitLearnerRights(ctx)
}

// awaitLearnerRights returns once the API server's authorizer grants the
// learner the rights just bound. RBAC authorizes from an informer's cache
// of RoleBindings, so a binding is honoured some milliseconds after it is
// created, longer on a loaded API server; a submission applied in that
// gap would be refused for a reason that is not the learner's (seen in CI:
// an honest ConfigMap refused, Forbidden). The authorizer has no watch
// to wait on, so this asks it, as a SubjectAccessReview, every 100 ms.
func (gr *grading) awaitLearnerRights(ctx context.Context) error {
	c, ns := gr.s.clients, gr.ns
	attrs := authzv1.ResourceAttributes{Namespace: ns, Verb: "create", Resource: "configmaps"}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, learnerRightsTimeout, true, func(ctx context.Context) (bool, error) {
		allowed, reason, err := c.MayDo(ctx, ns, learnerAccount, attrs)
		if err != nil {
			last = err.Error()
			return false, nil // the API server busy: ask again
		}
		last = cmp.Or(reason, "denied")
		return allowed, nil
	})
	if err != nil {
		return fmt.Errorf("the learner's rights in %s were not granted after %s (last answer: %s)", ns, learnerRightsTimeout, last)
	}
	return nil
}

// learnerRightsTimeout bounds awaitLearnerRights: a binding the
// authorizer has not seen after this is an API server in trouble.
const learnerRightsTimeout = 30 * time.Second

// orExists is err, but nil when a create found its object there already
// (a grading namespace that was not emptied: labgrade's own objects are
// the same).
func orExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// learnerClients are the session's clients acting as the grading's
// learner service account.
func (gr *grading) learnerClients() (*cluster.Clients, error) {
	user, groups := cluster.ServiceAccount(gr.ns, learnerAccount)
	return gr.s.clients.As(user, groups...)
}
