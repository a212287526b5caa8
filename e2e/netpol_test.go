//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/docker"
)

// netpolEnforced installs labgrade's NetworkPolicy enforcer
// (fixtures/images/netpol) into the smoke cluster and proves it enforces:
// with no policy an unlabelled client reaches the echo pods; with a
// default-deny ingress policy and an allow for role=client, a labelled
// client still reaches them and an unlabelled one times out. Policies take
// effect asynchronously in every implementation, so each expectation is
// awaited (a new probe pod each try), within seconds.
func netpolEnforced(t *testing.T, ctx context.Context, k *cluster.Kind, name string, c *cluster.Clients, ns string) {
	step := stepper(t)
	const image = "labgrade.local/netpol:1.0"
	dir := filepath.Join(repoRoot, "fixtures", "images", "netpol")
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: image, Dir: dir, GOARCH: "amd64"}))
	_, err := k.LoadImage(ctx, name, image)
	require.NoError(t, err)
	step("  netpol image")
	objs, err := apply.Read(filepath.Join(dir, "install.yaml"))
	require.NoError(t, err)
	require.NoError(t, apply.Apply(ctx, c, objs, "kube-system"))
	require.NoError(t, wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		ds, err := c.Typed.AppsV1().DaemonSets("kube-system").Get(ctx, "labgrade-netpol", metav1.GetOptions{})
		return err == nil && ds.Status.DesiredNumberScheduled > 0 && ds.Status.NumberReady == ds.Status.DesiredNumberScheduled, nil
	}), "the enforcer's DaemonSet becomes ready")
	step("  netpol ready")

	target := "echo." + ns + ".svc.cluster.local:8080"
	// await runs probe pods until one ends as wanted (reached or not).
	await := func(what string, labels map[string]string, reach bool) string {
		t.Helper()
		var last string
		err := wait.PollUntilContextTimeout(ctx, 0, 45*time.Second, true, func(ctx context.Context) (bool, error) {
			ok, logs := probePod(t, ctx, c, ns, labels, "probe", "-connect", target, "-http", "/", "-timeout", "3s")
			last = logs
			return ok == reach, nil
		})
		require.NoError(t, err, "%s: last probe said %q", what, last)
		step("  " + what)
		t.Logf("    %s", last)
		return last
	}
	await("no policy: an unlabelled client reaches echo", nil, true)

	tcp := corev1.ProtocolTCP
	port := intstr.FromInt32(8080)
	for _, p := range []*networkingv1.NetworkPolicy{
		{ObjectMeta: metav1.ObjectMeta{Name: "default-deny"}, Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "allow-clients"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "echo"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}}}},
	} {
		_, err := c.Typed.NetworkingV1().NetworkPolicies(ns).Create(ctx, p, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	denied := await("deny all but role=client: an unlabelled client times out", nil, false)
	assert.Contains(t, denied, "deadline exceeded", "a denied connection times out (dropped, not refused)")
	await("deny all but role=client: a role=client client reaches echo", map[string]string{"role": "client"}, true)
}

// probePod runs the netpol binary's probe in a new pod with labels and
// reports whether it reached its peer, with its output.
func probePod(t *testing.T, ctx context.Context, c *cluster.Clients, ns string, labels map[string]string, args ...string) (bool, string) {
	name := "probe-" + rand.String(5)
	_, err := c.Typed.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
			Name: "probe", Image: "labgrade.local/netpol:1.0", Args: args,
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	defer func() {
		_ = c.Typed.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	}()
	var phase corev1.PodPhase
	_ = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := c.Typed.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		phase = p.Status.Phase
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed, nil
	})
	logs, _ := c.Typed.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{}).DoRaw(ctx)
	return phase == corev1.PodSucceeded, string(logs)
}
