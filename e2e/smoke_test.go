//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/docker"
)

// TestSmoke proves the environment: a kind cluster made through kind's
// library with the node image, an image built from fixtures/ and loaded like
// `kind load docker-image`, a rolled-out Deployment reached by DNS from
// another pod and through the API server's service proxy, NetworkPolicy
// enforced by labgrade's enforcer, and nothing left behind after delete.
func TestSmoke(t *testing.T) {
	t.Parallel() // its own cluster: runs beside TestLabK8sServing (see there)
	lane(t, 84)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const name = "labgrade-e2e-smoke"
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	userKubeconfig := userKubeconfigDigest()
	k := cluster.NewKind()
	if ok, _ := k.Exists(name); ok { // left by an aborted earlier run
		require.NoError(t, k.Delete(name, kubeconfig))
	}

	step := stepper(t)
	require.NoError(t, k.Create(ctx, name, nodeImage, kubeconfig, cluster.Options{}))
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			_ = k.Delete(name, kubeconfig)
		}
	})
	step("cluster create")

	const image = "labgrade.local/echo:e2e"
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: image, Dir: filepath.Join(repoRoot, "fixtures/images/echo"), GOARCH: "amd64"}))
	step("image build")
	loaded, err := k.LoadImage(ctx, name, image)
	require.NoError(t, err)
	assert.Equal(t, []string{name + "-control-plane"}, loaded)
	again, err := k.LoadImage(ctx, name, image)
	require.NoError(t, err)
	assert.Empty(t, again, "a node that holds the same image ID is skipped")
	step("image load")

	c, err := cluster.Connect(kubeconfig, cluster.Context(name))
	require.NoError(t, err)
	const ns = "smoke"
	require.NoError(t, c.EnsureNamespace(ctx, ns))
	labels := map[string]string{"app": "echo"}
	_, err = c.Typed.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "echo", Image: image, Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1},
				}}},
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.Typed.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 8080, TargetPort: intstr.FromInt32(8080)}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.NoError(t, wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := c.Typed.AppsV1().Deployments(ns).Get(ctx, "echo", metav1.GetOptions{})
		return err == nil && d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == 2 && d.Status.AvailableReplicas == 2, nil
	}), "rollout of 2 replicas")
	step("rollout")

	// By DNS name, from another pod: CoreDNS, kube-proxy and the CNI at work.
	_, err = c.Typed.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
			Name: "client", Image: image, Args: []string{"get", "http://echo." + ns + ".svc.cluster.local:8080/"},
		}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	var phase corev1.PodPhase
	require.NoError(t, wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := c.Typed.CoreV1().Pods(ns).Get(ctx, "client", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		phase = p.Status.Phase
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed, nil
	}))
	logs, err := c.Typed.CoreV1().Pods(ns).GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
	require.NoError(t, err)
	assert.Equal(t, corev1.PodSucceeded, phase, "client pod output: %s", logs)
	assert.True(t, strings.HasPrefix(string(logs), "200 hello from echo-"), "got %q", logs)
	step("service by DNS")

	// Through the API server's service proxy, as the grader's http checks do.
	body, err := c.Typed.CoreV1().Services(ns).ProxyGet("http", "echo", "8080", "/", nil).DoRaw(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(body), "hello from echo-")
	step("service proxy")

	// NetworkPolicy, enforced by labgrade's own enforcer (the offline
	// node's CNI stand-in ignores policies, and kube-network-policies
	// needs a kernel feature this host lacks: docs/offline-kind.md).
	netpolEnforced(t, ctx, k, name, c, ns)
	step("network policy")

	require.NoError(t, k.Delete(name, kubeconfig))
	deleted = true
	step("cluster delete")
	assertNoClusterContainers(t, name)
	assert.Equal(t, userKubeconfig, userKubeconfigDigest(), "~/.kube/config must not change")
}

// stepper logs each step of a test with its duration.
func stepper(t *testing.T) func(string) {
	last := time.Now()
	return func(what string) {
		t.Logf("%-16s %6.1fs", what, time.Since(last).Seconds())
		last = time.Now()
	}
}

func userKubeconfigDigest() [32]byte {
	home, _ := os.UserHomeDir()
	b, err := os.ReadFile(filepath.Join(home, ".kube", "config"))
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}
