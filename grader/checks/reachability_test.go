package checks

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/spec"
)

func reachability(probes ...spec.Probe) *spec.ReachabilityCheck {
	k := &spec.ReachabilityCheck{Probes: probes}
	k.Default(&spec.Check{})
	return k
}

var (
	gatewayToModel = spec.Probe{From: spec.ProbeSource{Labels: map[string]string{"app": "gateway"}},
		To: spec.ProbeTarget{Service: "model-server", Port: 8080, Path: "/"}, Expect: spec.ProbeReach}
	anyoneToModel = spec.Probe{To: spec.ProbeTarget{Service: "model-server", Port: 8080}, Expect: spec.ProbeBlocked}
	monitorDNS    = spec.Probe{From: spec.ProbeSource{Labels: map[string]string{"app": "drift-monitor"}},
		To: spec.ProbeTarget{DNS: "model-server"}, Expect: spec.ProbeReach}
)

// The probe pod carries the lab's labels and nothing else, meets the
// restricted level, can never become ready, and runs the probe the target
// asks for.
func TestProbePod(t *testing.T) {
	k := reachability(gatewayToModel)
	pod := probePod("lab-solution", k, gatewayToModel)
	assert.Equal(t, "lab-solution", pod.Namespace)
	assert.Equal(t, "labgrade-probe-", pod.GenerateName)
	assert.Equal(t, map[string]string{"app": "gateway"}, pod.Labels, "exactly the lab's labels")
	pod.Labels["app"] = "changed"
	assert.Equal(t, "gateway", gatewayToModel.From.Labels["app"], "the lab's map is not shared with the pod")
	assert.Nil(t, probePod("lab", k, anyoneToModel).Labels, "an unlabelled pod")

	s := pod.Spec
	assert.Equal(t, corev1.RestartPolicyAlways, s.RestartPolicy, "a start the runtime failed is tried again")
	require.NotNil(t, s.AutomountServiceAccountToken)
	assert.False(t, *s.AutomountServiceAccountToken)
	assert.Equal(t, int64(0), *s.TerminationGracePeriodSeconds)
	require.NotNil(t, s.ActiveDeadlineSeconds)
	assert.Equal(t, int64(600), *s.ActiveDeadlineSeconds, "ends by itself should the grader fail to delete it")
	require.NotNil(t, s.SecurityContext)
	assert.True(t, *s.SecurityContext.RunAsNonRoot)
	assert.Equal(t, int64(65534), *s.SecurityContext.RunAsUser)
	assert.Equal(t, int64(65534), *s.SecurityContext.RunAsGroup)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, s.SecurityContext.SeccompProfile.Type)

	require.Len(t, s.Containers, 1)
	c := s.Containers[0]
	assert.Equal(t, "probe", c.Name)
	assert.Equal(t, "labgrade.local/netpol:1.0", c.Image)
	assert.Equal(t, corev1.PullIfNotPresent, c.ImagePullPolicy)
	assert.Equal(t, restricted(), c.SecurityContext)
	assert.Equal(t, "10m", c.Resources.Requests.Cpu().String())
	assert.Equal(t, "16Mi", c.Resources.Requests.Memory().String())
	assert.Equal(t, "100m", c.Resources.Limits.Cpu().String())
	assert.Equal(t, "96Mi", c.Resources.Limits.Memory().String())
	require.NotNil(t, c.ReadinessProbe, "a probe pod with a Service's labels must never be its ready endpoint")
	require.NotNil(t, c.ReadinessProbe.Exec)
	assert.Equal(t, []string{"/netpol", "never-ready"}, c.ReadinessProbe.Exec.Command)
	assert.Equal(t, []string{"pause"}, c.Args, "it idles until the grader runs attempts in it")
}

func TestProbeArgs(t *testing.T) {
	assert.Equal(t, []string{"/netpol", "probe", "-connect", "10.96.0.12:8080", "-timeout", "2s"},
		probeArgs(anyoneToModel.To, "10.96.0.12:8080", 2*time.Second))
	assert.Equal(t, []string{"/netpol", "probe", "-connect", "[fd00::c]:80", "-http", "/healthz", "-timeout", "500ms"},
		probeArgs(spec.ProbeTarget{Service: "web", Port: 80, Path: "/healthz"}, "[fd00::c]:80", 500*time.Millisecond))
	assert.Equal(t, []string{"/netpol", "probe", "-resolve", "model-server", "-timeout", "2s"},
		probeArgs(monitorDNS.To, "", 2*time.Second))
}

func service(name string, ip string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab-solution"},
		Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: ports}}
}

// A probe connects to the Service's cluster IP and port; a Service that
// has none fails the check, since a blocked connection to it would prove
// nothing.
func TestClusterAddr(t *testing.T) {
	tcp := corev1.ServicePort{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}
	addr, err := clusterAddr(service("model-server", "10.96.0.12", tcp), 8080)
	require.NoError(t, err)
	assert.Equal(t, "10.96.0.12:8080", addr)
	addr, err = clusterAddr(service("model-server", "fd00::c", tcp), 8080)
	require.NoError(t, err)
	assert.Equal(t, "[fd00::c]:8080", addr)

	_, err = clusterAddr(service("model-server", "None", tcp), 8080)
	assertFailure(t, err, "service model-server in namespace lab-solution is headless (clusterIP: None): it has no cluster IP to connect to")
	external := service("model-server", "", tcp)
	external.Spec.Type, external.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
	_, err = clusterAddr(external, 8080)
	assertFailure(t, err, "service model-server in namespace lab-solution is of type ExternalName (example.com): it has no cluster IP to connect to")
	_, err = clusterAddr(service("model-server", "10.96.0.12", tcp, corev1.ServicePort{Port: 9090, Protocol: corev1.ProtocolUDP}), 9090)
	assertFailure(t, err, "service model-server in namespace lab-solution has no TCP port 9090 (its ports: 8080/TCP, 9090/UDP)")
}

// A missing Service is the learner's failure, named with its namespace
// (the grading's, for the lab's own).
func TestReachabilityWithoutService(t *testing.T) {
	env := Env{Clients: &cluster.Clients{Typed: fake.NewClientset()}, Namespace: "lab-solution", LabNamespace: "lab"}
	_, err := runReachability(context.Background(), env, reachability(gatewayToModel))
	assertFailure(t, err, "service model-server not found in namespace lab-solution: there is nothing to connect to")

	other := anyoneToModel
	other.To.Namespace = "lab"
	_, err = runReachability(context.Background(), env, reachability(other))
	assertFailure(t, err, "service model-server not found in namespace lab-solution: there is nothing to connect to")
}

// Exit 0 is reached, 1 blocked; anything else says nothing of the
// policies and is the environment's error, not the learner's failure.
func TestProbeOutcome(t *testing.T) {
	pod := probePod("lab", reachability(anyoneToModel), anyoneToModel)
	pod.Name = "labgrade-probe-abcde"
	got, err := probeOutcome(pod, 0, "connected to 10.96.0.12:8080")
	require.NoError(t, err)
	assert.Equal(t, "reached", got)
	got, err = probeOutcome(pod, 1, "i/o timeout")
	require.NoError(t, err)
	assert.Equal(t, "blocked", got)
	var f *Failure
	for _, code := range []int{2, 137} {
		_, err = probeOutcome(pod, code, "probe: give -connect HOST:PORT or -resolve NAME")
		require.Error(t, err)
		assert.NotErrorAs(t, err, &f)
		assert.Contains(t, err.Error(), "the probe in pod labgrade-probe-abcde (image labgrade.local/netpol:1.0) exited with code "+strconv.Itoa(code))
	}
}

// runningPod is a version of a probe pod that runs, with its IP published.
func runningPod(p *corev1.Pod) *corev1.Pod {
	p = p.DeepCopy()
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.9", ContainerStatuses: []corev1.ContainerStatus{{
		Name: "probe", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	return p
}

// Each version of the probe pod the watch reports is compared with what
// the grader created; a pod that cannot start is an environment error.
func TestObserve(t *testing.T) {
	k := reachability(gatewayToModel)
	created := probePod("lab", k, gatewayToModel)
	created.Name = "labgrade-probe-abcde"
	version := func(change func(p *corev1.Pod)) *corev1.Pod {
		p := created.DeepCopy()
		change(p)
		return p
	}
	var f *Failure

	assert.NoError(t, observe(created, created), "just created")
	assert.NoError(t, observe(created, runningPod(created)))
	err := observe(created, version(func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed; p.Status.Reason = "DeadlineExceeded" }))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ended while the grader used it: DeadlineExceeded")

	for name, c := range map[string]struct {
		change func(p *corev1.Pod)
		want   string
	}{
		"relabelled":     {func(p *corev1.Pod) { p.Labels["app"] = "model-server" }, "labels {app=model-server}, set {app=gateway}"},
		"a label added":  {func(p *corev1.Pod) { p.Labels["role"] = "client" }, "labels {app=gateway,role=client}, set {app=gateway}"},
		"labels removed": {func(p *corev1.Pod) { p.Labels = nil }, "labels {}, set {app=gateway}"},
		"another image":  {func(p *corev1.Pod) { p.Spec.Containers[0].Image = "learner/probe:1" }, "runs image learner/probe:1 args"},
		"an ephemeral container": {func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug"}}}
		}, "an ephemeral container was added"},
		"being deleted": {func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Now()} }, "it is being deleted"},
	} {
		err := observe(created, version(c.change))
		require.Error(t, err, name)
		assert.NotErrorAs(t, err, &f, name)
		assert.Contains(t, err.Error(), "probe pod labgrade-probe-abcde was changed by something in the namespace ("+c.want, name)
	}
	err = observe(created, version(func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "probe", State: corev1.ContainerState{
			Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImageNeverPull", Message: "image not present"}}}}
	}))
	require.Error(t, err)
	assert.NotErrorAs(t, err, &f)
	assert.Contains(t, err.Error(), "probe pod labgrade-probe-abcde (image labgrade.local/netpol:1.0) cannot start: container probe: ErrImageNeverPull")
}

func TestProbeSaid(t *testing.T) {
	const addr = "10.96.0.12:8080"
	for log, want := range map[string]string{
		"reachable: connected to 10.96.0.12:8080\n":                               "connected to 10.96.0.12:8080",
		"reachable: GET http://10.96.0.12:8080/: 200 OK\n":                        "GET /: 200 OK",
		"unreachable: dial tcp 10.96.0.12:8080: i/o timeout\n":                    "i/o timeout",
		"unreachable: dial tcp 10.96.0.12:8080: connect: connection refused\n":    "connect: connection refused",
		"unreachable: GET /healthz answered 503 Service Unavailable\n":            "GET /healthz answered 503 Service Unavailable",
		"unreachable: Get \"http://10.96.0.12:8080/\": context deadline exceeded": `Get "/": context deadline exceeded`,
		"":                   "",
		"line one\nline two": "line one",
	} {
		assert.Equal(t, want, probeSaid(log, addr), log)
	}
	assert.Equal(t, "resolved model-server to [10.96.0.12]", probeSaid("reachable: resolved model-server to [10.96.0.12]\n", ""))
	assert.Len(t, probeSaid("unreachable: "+string(make([]byte, 500)), addr), 200)
}

// The evidence lists every probe's outcome; a failure lists only those
// whose last outcome differs, with what the probe said.
func TestJudgeProbes(t *testing.T) {
	probes := []spec.Probe{gatewayToModel, anyoneToModel, monitorDNS}
	evidence, err := judgeProbes(probes, []probeRun{
		{outcome: "reached", said: "GET /: 200 OK"}, {outcome: "blocked", said: "i/o timeout"}, {outcome: "reached", said: "resolved model-server to [10.96.0.12]"},
	})
	require.NoError(t, err)
	assert.Equal(t, "from {app=gateway} to service model-server:8080: reached (GET /: 200 OK); "+
		"from {} to service model-server:8080: blocked (i/o timeout); "+
		"from {app=drift-monitor} resolve model-server: reached (resolved model-server to [10.96.0.12])", evidence)

	_, err = judgeProbes(probes, []probeRun{
		{outcome: "reached", said: "GET /: 200 OK"}, {outcome: "reached", said: "connected to 10.96.0.12:8080"}, {outcome: "blocked", said: "lookup model-server: i/o timeout"},
	})
	assertFailure(t, err, "from {} to service model-server:8080: reached, expected blocked (connected to 10.96.0.12:8080); "+
		"from {app=drift-monitor} resolve model-server: blocked, expected reached (lookup model-server: i/o timeout)")

	// an environment error wins over a failure and over the outcomes
	envErr := errors.New("probe pod labgrade-probe-x was changed by something in the namespace")
	_, err = judgeProbes(probes, []probeRun{{outcome: "reached"}, {err: Failf("quota")}, {err: envErr}})
	assert.Equal(t, envErr, err)
	_, err = judgeProbes(probes, []probeRun{{outcome: "reached"}, {err: Failf("quota")}, {outcome: "reached"}})
	assertFailure(t, err, "quota")
}

// The namespace's quota, LimitRange and Pod Security level are the
// learner's; any other refusal is the environment's.
func TestRefusedBy(t *testing.T) {
	forbidden := func(msg string) error {
		return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "labgrade-probe-x", errors.New(msg))
	}
	assert.Equal(t, "the namespace's ResourceQuota", refusedBy(forbidden("exceeded quota: pods, requested: pods=1, used: pods=4, limited: pods=4")))
	assert.Equal(t, "the namespace's LimitRange", refusedBy(forbidden("minimum memory usage per Container is 64Mi, but request is 16Mi")))
	assert.Equal(t, "the namespace's Pod Security admission", refusedBy(forbidden(`violates PodSecurity "restricted:latest": ...`)))
	assert.Empty(t, refusedBy(forbidden(`User "labgrade" cannot create resource "pods"`)), "the grader's own rights")
	assert.Empty(t, refusedBy(errors.New("exceeded quota")), "not a Forbidden")
}

// probeCluster is a fake API server for whole runs: a model-server
// Service with a ready endpoint (unless unserved), probe pods created with
// a name and reported running by their watch (changed by tamper, when
// set), attempts (execs) ending with the next exit code of codes, and
// deletions recorded.
type probeCluster struct {
	mu      sync.Mutex
	codes   []int
	created []*corev1.Pod
	execs   [][]string
	deleted []string
	// tamper, when set, changes the pod in the version the watch reports
	tamper func(p *corev1.Pod)
	// unserved leaves the model-server Service without a ready endpoint
	unserved bool
}

func (c *probeCluster) env(t *testing.T) Env {
	t.Helper()
	objs := []runtime.Object{service("model-server", "10.96.0.12", corev1.ServicePort{Port: 8080, Protocol: corev1.ProtocolTCP})}
	if !c.unserved {
		// one ready model-server pod behind the Service, as the
		// EndpointSlice controller lists it
		server := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "model-server-1", Namespace: "lab-solution", UID: "uid-1"}}
		yes := true
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: "model-server-x", Namespace: "lab-solution", Labels: map[string]string{
				discoveryv1.LabelServiceName: "model-server", discoveryv1.LabelManagedBy: managedByController}},
			Endpoints: []discoveryv1.Endpoint{{Conditions: discoveryv1.EndpointConditions{Ready: &yes},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: server.Name, UID: server.UID}}},
		}
		objs = append(objs, server, slice)
	}
	cs := fake.NewClientset(objs...)
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod).DeepCopy()
		c.mu.Lock()
		defer c.mu.Unlock()
		p.Name = p.GenerateName + strconv.Itoa(len(c.created))
		p.ResourceVersion = "1"
		c.created = append(c.created, p)
		return true, p, nil
	})
	cs.PrependWatchReactor("pods", func(a k8stesting.Action) (bool, watch.Interface, error) {
		if a.(k8stesting.WatchAction).GetWatchRestrictions().Fields.Empty() {
			return false, nil, nil // an informer's watch of every pod, not a probe's
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		p := runningPod(c.created[len(c.created)-1])
		if c.tamper != nil {
			c.tamper(p)
		}
		w := watch.NewFakeWithChanSize(1, false)
		w.Modify(p)
		return true, w, nil
	})
	cs.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.deleted = append(c.deleted, a.(k8stesting.DeleteAction).GetName())
		return true, nil, nil
	})
	margin, exec := probeKnownMargin, execInPod
	probeKnownMargin = 0
	execInPod = func(ctx context.Context, _ Env, pod *corev1.Pod, cmd []string) (int, string, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.execs = append(c.execs, append([]string{pod.Name}, cmd...))
		code := c.codes[0]
		if len(c.codes) > 1 {
			c.codes = c.codes[1:]
		}
		return code, map[int]string{0: "reachable: connected", 1: "unreachable: i/o timeout"}[code], nil
	}
	t.Cleanup(func() { probeKnownMargin, execInPod = margin, exec })
	return Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab-solution", LabNamespace: "lab"}
}

// A probe's attempts run in its one pod until the outcome is the expected
// one (policies take effect late); the pod is deleted at the end.
func TestRunReachabilityRetries(t *testing.T) {
	c := &probeCluster{codes: []int{0, 0, 1}} // reached twice before the policy holds
	env := c.env(t)
	evidence, err := runReachability(context.Background(), env, reachability(anyoneToModel))
	require.NoError(t, err)
	assert.Equal(t, "from {} to service model-server:8080: blocked (i/o timeout)", evidence)
	require.Len(t, c.created, 1, "one pod for all the attempts")
	require.Len(t, c.execs, 3, "three attempts")
	assert.Equal(t, []string{"labgrade-probe-0", "/netpol", "probe", "-connect", "10.96.0.12:8080", "-timeout", "2s"}, c.execs[0],
		"the Service's cluster IP, not its name")
	assert.Equal(t, []string{"labgrade-probe-0"}, c.deleted)
}

// A probe whose outcome never matches fails when the check's time is up,
// with its last outcome.
func TestRunReachabilityFails(t *testing.T) {
	c := &probeCluster{codes: []int{0}}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := runReachability(ctx, c.env(t), reachability(anyoneToModel))
	assertFailure(t, err, "from {} to service model-server:8080: reached, expected blocked (connected)")
	assert.GreaterOrEqual(t, len(c.execs), 2, "tried again until the timeout")
	assert.Equal(t, []string{"labgrade-probe-0"}, c.deleted)
}

// A refused connection to a Service with no ready endpoint is no policy's
// doing: it does not count as blocked.
func TestRunReachabilityUnserved(t *testing.T) {
	c := &probeCluster{codes: []int{1}, unserved: true}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := runReachability(ctx, c.env(t), reachability(anyoneToModel))
	assertFailure(t, err, "from {} to service model-server:8080: blocked, but the service had no ready endpoint, expected blocked (i/o timeout)")
}

// A probe pod relabelled while it runs makes the check an error, never a
// pass, and is deleted.
func TestRunReachabilityTampered(t *testing.T) {
	c := &probeCluster{codes: []int{1}, tamper: func(p *corev1.Pod) { p.Labels = map[string]string{"app": "gateway"} }}
	_, err := runReachability(context.Background(), c.env(t), reachability(anyoneToModel))
	require.Error(t, err)
	var f *Failure
	assert.NotErrorAs(t, err, &f)
	assert.Contains(t, err.Error(), "probe pod labgrade-probe-0 was changed by something in the namespace (labels {app=gateway}, set {})")
	assert.Empty(t, c.execs, "no attempt in a changed pod")
	assert.Equal(t, []string{"labgrade-probe-0"}, c.deleted)
}

// An exec the API server does not carry through measures nothing: it is
// tried again, and only the attempts that ran count.
func TestRunReachabilityExecDropped(t *testing.T) {
	c := &probeCluster{codes: []int{1}}
	env := c.env(t)
	failed := 0
	fake := execInPod
	execInPod = func(ctx context.Context, env Env, pod *corev1.Pod, cmd []string) (int, string, error) {
		if failed < 2 {
			failed++
			return 0, "", errors.New("exec in probe pod: read tcp: i/o timeout")
		}
		return fake(ctx, env, pod, cmd)
	}
	evidence, err := runReachability(context.Background(), env, reachability(anyoneToModel))
	require.NoError(t, err)
	assert.Equal(t, "from {} to service model-server:8080: blocked (i/o timeout)", evidence)
	assert.Len(t, c.execs, 1, "the attempt that ran")

	// when none ever runs, the check is an error naming the last reason
	c = &probeCluster{codes: []int{1}}
	env = c.env(t)
	execInPod = func(context.Context, Env, *corev1.Pod, []string) (int, string, error) {
		return 0, "", errors.New("exec in probe pod: read tcp: i/o timeout")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	_, err = runReachability(ctx, env, reachability(anyoneToModel))
	require.Error(t, err)
	var f *Failure
	assert.NotErrorAs(t, err, &f)
	assert.Contains(t, err.Error(), "read tcp: i/o timeout (the check timed out trying again)")
}
