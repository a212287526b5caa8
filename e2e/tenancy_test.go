//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/labgrade/labgrade/grader/cluster"
)

// profileLevel1 holds the learner identity of a graded namespace to the
// behaviours of the Kubernetes multi-tenancy working group's benchmarks,
// profile level 1: a tenant cannot list or change cluster resources,
// cannot reach another tenant's objects, cannot change its own quota or
// namespace, and cannot run privileged pods, host namespaces, hostPath,
// host ports or NodePort services. Each request is really made as the
// learner's service account (impersonated), with server-side dry run for
// creations, so admission (Pod Security, the quota) answers as it would.
func profileLevel1(t *testing.T, ctx context.Context, admin *cluster.Clients, ns, otherNS string) {
	learner, err := admin.As("system:serviceaccount:"+ns+":labgrade-learner",
		"system:serviceaccounts", "system:serviceaccounts:"+ns, "system:authenticated")
	require.NoError(t, err)
	c := learner.Typed.CoreV1()
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	// Forbidden, not any error: RBAC, Pod Security admission and the
	// quota all answer 403, and a request malformed by this test would
	// fail otherwise and prove nothing.
	denied := func(what string, err error) {
		t.Helper()
		assert.True(t, apierrors.IsForbidden(err), "the learner of %s could %s (or was refused for another reason: %v)", ns, what, err)
	}

	// cluster resources: neither listed nor changed
	_, err = c.Nodes().List(ctx, metav1.ListOptions{})
	denied("list nodes", err)
	_, err = c.Namespaces().List(ctx, metav1.ListOptions{})
	denied("list namespaces", err)
	_, err = learner.Typed.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	denied("list cluster roles", err)
	_, err = learner.Typed.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "evil"}, Value: 1000000}, dry)
	denied("create a PriorityClass", err)
	_, err = c.Namespaces().Patch(ctx, ns, types.MergePatchType, []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
	denied("relabel its own namespace", err)

	// other tenants
	_, err = c.Pods(otherNS).List(ctx, metav1.ListOptions{})
	denied("list pods of "+otherNS, err)
	_, err = c.ConfigMaps(otherNS).Get(ctx, "learner", metav1.GetOptions{})
	denied("read a ConfigMap of "+otherNS, err)
	_, err = c.Secrets(otherNS).List(ctx, metav1.ListOptions{})
	denied("list Secrets of "+otherNS, err)

	// its own quota and limits: readable, not changeable
	_, err = c.ResourceQuotas(ns).Get(ctx, "labgrade-sandbox", metav1.GetOptions{})
	assert.NoError(t, err, "the learner reads its quota")
	_, err = c.ResourceQuotas(ns).Patch(ctx, "labgrade-sandbox", types.MergePatchType, []byte(`{"spec":{"hard":{"pods":"1000"}}}`), metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
	denied("raise its quota", err)
	err = c.LimitRanges(ns).Delete(ctx, "labgrade-sandbox", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
	denied("delete its LimitRange", err)

	// what Pod Security (baseline) and the quota refuse
	yes := true
	pod := func(name string, change func(*corev1.PodSpec)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "labgrade.local/nothing:1"}}}}
		change(&p.Spec)
		return p
	}
	for name, change := range map[string]func(*corev1.PodSpec){
		"privileged":   func(s *corev1.PodSpec) { s.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: &yes} },
		"host-network": func(s *corev1.PodSpec) { s.HostNetwork = true },
		"host-pid":     func(s *corev1.PodSpec) { s.HostPID = true },
		"host-ipc":     func(s *corev1.PodSpec) { s.HostIPC = true },
		"host-path": func(s *corev1.PodSpec) {
			s.Volumes = []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		},
		"host-port": func(s *corev1.PodSpec) {
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
		},
		"added-capability": func(s *corev1.PodSpec) {
			s.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}}
		},
	} {
		_, err := c.Pods(ns).Create(ctx, pod("evil-"+name, change), dry)
		denied("create a "+name+" pod", err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "evil-nodeport"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}}
	_, err = c.Services(ns).Create(ctx, svc, dry)
	denied("create a NodePort Service", err)
	// and an ordinary pod is allowed, so the refusals above are the
	// policies', not a learner who can do nothing
	_, err = c.Pods(ns).Create(ctx, pod("honest", func(*corev1.PodSpec) {}), dry)
	assert.NoError(t, err, "the learner creates an ordinary pod")
}
