package checks

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runReachability) }

// The outcomes of one probe attempt, as messages say them.
const (
	outcomeReached = "reached"
	outcomeBlocked = "blocked"
	// outcomeUnserved: not reached, while the Service had no ready
	// endpoint, so the refusal was no policy's doing
	outcomeUnserved = "blocked, but the service had no ready endpoint"
)

// probeKnownMargin is how long the grader waits, after the API server has
// published a probe pod's IP, before the pod's first attempt: the policy
// engine learns the pod from the same API server and programs its rules
// within this margin. An attempt made earlier could be judged as an
// unknown pod's, let through or not matched by an allow rule. (A variable
// for the unit tests, which have no policy engine.)
var probeKnownMargin = time.Second

// probeMemoryLimit holds the idle netpol process and an attempt's, each a
// Go program, at once (32Mi did not, on a loaded node: the pod ended).
const probeMemoryLimit = "96Mi"

// probeContainer names the probe pods' only container.
const probeContainer = "probe"

// probeRetryPause separates two attempts of a probe: a refused connection
// ends an attempt at once.
const probeRetryPause = 500 * time.Millisecond

// runReachability runs every probe of the check at once, each in a pod of
// its own, until its outcome is the expected one or the check's timeout,
// and compares the last outcome of each with the lab's expectation.
func runReachability(ctx context.Context, env Env, k *spec.ReachabilityCheck) (string, error) {
	addrs, err := serviceAddrs(ctx, env, k.Probes)
	if err != nil {
		return "", err
	}
	serving := watchServing(ctx, env, k.Probes)
	defer func() {
		for _, w := range serving {
			w.close()
		}
	}()
	runs := make([]probeRun, len(k.Probes))
	var wg sync.WaitGroup
	for i, p := range k.Probes {
		wg.Go(func() { runs[i] = runProbe(ctx, env, k, p, addrs[refOf(env, p.To)], serving[refOf(env, p.To)]) })
	}
	wg.Wait()
	if errors.Is(ctx.Err(), context.Canceled) {
		return "", errInterrupted
	}
	return judgeProbes(k.Probes, runs)
}

// serviceRef is a Service port a probe connects to.
type serviceRef struct {
	ns, name string
	port     int32
}

func refOf(env Env, t spec.ProbeTarget) serviceRef {
	return serviceRef{ns: env.ns(t.Namespace), name: t.Service, port: t.Port}
}

// watchServing follows the ready endpoints of each Service of the grading
// namespace that a probe expects to be blocked from: a connection to a
// Service with no ready endpoint is refused whatever the policies (the
// learner, an admin of the namespace, could scale its Deployment to
// zero), so such a "blocked" proves nothing.
func watchServing(ctx context.Context, env Env, probes []spec.Probe) map[serviceRef]*endpointWatch {
	out := map[serviceRef]*endpointWatch{}
	for _, p := range probes {
		ref := refOf(env, p.To)
		if p.To.Service == "" || p.Expect != spec.ProbeBlocked || ref.ns != env.Namespace || out[ref] != nil {
			continue
		}
		out[ref] = watchReadyEndpoints(ctx, env, ref.name)
	}
	return out
}

// serviceAddrs resolves each Service port the probes connect to, once, to
// its cluster IP and port. Probes connect to the address, not to the
// Service's DNS name: name resolution is what dns probes test, and a pod
// whose policy forbids DNS must still test the connection itself.
func serviceAddrs(ctx context.Context, env Env, probes []spec.Probe) (map[serviceRef]string, error) {
	addrs := map[serviceRef]string{}
	for _, p := range probes {
		if p.To.Service == "" {
			continue
		}
		ref := refOf(env, p.To)
		if _, done := addrs[ref]; done {
			continue
		}
		svc, err := env.Clients.Typed.CoreV1().Services(ref.ns).Get(ctx, ref.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil, Failf("service %s not found in namespace %s: there is nothing to connect to", ref.name, ref.ns)
		case err != nil:
			return nil, fmt.Errorf("reading service %s in namespace %s: %v", ref.name, ref.ns, err)
		}
		if addrs[ref], err = clusterAddr(svc, ref.port); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// clusterAddr is the address a probe connects to for a Service's port:
// its cluster IP and the port. A Service without a cluster IP, or without
// that TCP port, fails the check: a connection to it would be refused
// whatever the policies, and an expected "blocked" would pass for nothing.
func clusterAddr(svc *corev1.Service, port int32) (string, error) {
	what := fmt.Sprintf("service %s in namespace %s", svc.Name, svc.Namespace)
	ip := svc.Spec.ClusterIP
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		return "", Failf("%s is of type ExternalName (%s): it has no cluster IP to connect to", what, svc.Spec.ExternalName)
	case ip == corev1.ClusterIPNone:
		return "", Failf("%s is headless (clusterIP: None): it has no cluster IP to connect to", what)
	case ip == "":
		return "", Failf("%s has no cluster IP to connect to", what)
	}
	var ports []string
	for _, sp := range svc.Spec.Ports {
		if sp.Port == port && (sp.Protocol == "" || sp.Protocol == corev1.ProtocolTCP) {
			return net.JoinHostPort(ip, strconv.Itoa(int(port))), nil
		}
		ports = append(ports, fmt.Sprintf("%d/%s", sp.Port, sp.Protocol))
	}
	return "", Failf("%s has no TCP port %d (its ports: %s)", what, port, strings.Join(ports, ", "))
}

// probeRun is what a probe's attempts came to.
type probeRun struct {
	// outcome and said are the last finished attempt's: reached or
	// blocked, and the probe's own one-line account
	outcome, said string
	attempts      int
	// err ends the probe without a verdict: the environment's (a pod that
	// cannot start, or was changed), or a Failure (a pod the namespace
	// refuses)
	err error
}

// runProbe starts the probe's pod (it idles) and, once the API server has
// published its IP and probeKnownMargin has passed, runs attempts in it
// until one has the expected outcome or ctx ends: NetworkPolicies take
// effect asynchronously in every implementation. When ctx ends during an
// attempt, the last finished one stands. The pod is watched throughout:
// an attempt made while it was changed does not count.
func runProbe(ctx context.Context, env Env, k *spec.ReachabilityCheck, p spec.Probe, addr string, serving *endpointWatch) probeRun {
	pod, err := startProbe(ctx, env, probePod(env.Namespace, k, p))
	if err != nil {
		return probeRun{err: err}
	}
	defer pod.stop(env)
	if err := pod.awaitRunning(ctx); err != nil {
		return probeRun{err: err}
	}
	sleepCtx(ctx, probeKnownMargin)
	// The attempts go on for the window, counted from now: a pod slow to
	// start on a loaded node takes from the check's timeout, not from the
	// policies' time to take effect. The first attempt is always finished.
	window, cancel := context.WithTimeout(ctx, k.Window.Duration)
	defer cancel()
	want := expectedOutcome(p.Expect)
	args := probeArgs(p.To, addr, k.AttemptTimeout.Duration)
	var (
		r       probeRun
		execErr error // the last exec the API server did not carry through
	)
	for {
		actx := window
		if r.attempts == 0 {
			actx = ctx
		}
		code, out, err := execInPod(actx, env, pod.created, args)
		if perr := pod.problem(); perr != nil { // changed while the attempt ran?
			r.err = perr
			return r
		}
		if err != nil {
			switch {
			case r.attempts > 0 && window.Err() != nil:
				return r
			case ctx.Err() != nil && execErr != nil:
				r.err = fmt.Errorf("%v (the check timed out trying again)", execErr)
				return r
			case ctx.Err() != nil:
				r.err = unfinished(ctx, pod.last())
				return r
			}
			// an exec that did not run (a loaded API server dropped or
			// timed out the stream) measured nothing: try again
			execErr = err
			sleepCtx(actx, probeRetryPause)
			continue
		}
		said := probeSaid(out, addr)
		outcome, err := probeOutcome(pod.created, code, said)
		if err != nil {
			r.err = err
			return r
		}
		if outcome == outcomeBlocked && serving != nil && serving.current() == 0 {
			outcome = outcomeUnserved
		}
		r.outcome, r.said = outcome, said
		r.attempts++
		if outcome == want {
			return r
		}
		if sleepCtx(window, probeRetryPause); window.Err() != nil {
			return r
		}
	}
}

// expectedOutcome is the outcome an expectation asks for.
func expectedOutcome(expect string) string {
	if expect == spec.ProbeReach {
		return outcomeReached
	}
	return outcomeBlocked
}

// probePod is the pod a probe's attempts run in, in the grading namespace:
// the lab's labels and no other (an extra label could change which
// policies select it), the restricted Pod Security level, as little as it
// needs. It idles (netpol pause) until the grader runs attempts in it.
func probePod(ns string, k *spec.ReachabilityCheck, p spec.Probe) *corev1.Pod {
	nobody := int64(65534)
	yes, no := true, false
	// the pod ends by itself should the grader never delete it
	deadline := int64(probePodDeadline / time.Second)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "labgrade-probe-", Namespace: ns, Labels: maps.Clone(p.From.Labels)},
		Spec: corev1.PodSpec{
			// It only idles, and holds no state an attempt reads: a
			// container the runtime failed to start (runc on a loaded
			// cgroup v1 node: "unable to freeze") is started again by
			// the kubelet, as for any long-running pod, where Never would
			// end the pod before anything was measured.
			RestartPolicy:                 corev1.RestartPolicyAlways,
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: ptrInt64(0),
			ActiveDeadlineSeconds:         &deadline,
			// the netpol image is FROM scratch with no user: run as nobody
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: &yes, RunAsUser: &nobody, RunAsGroup: &nobody,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:  probeContainer,
				Image: k.ProbeImage,
				// images are loaded into the nodes, never pulled
				ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            []string{"pause"},
				SecurityContext: restricted(),
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse(probeMemoryLimit)},
				},
				// A probe pod may carry a Service's selector labels (the
				// lab probes as the model server's pods). It must never
				// become a ready endpoint of that Service and take its
				// traffic: a container with a readiness probe is not ready
				// until the probe succeeds, and this one never does
				// (never-ready is no command of the netpol binary, which
				// exits 2). The long period keeps its failure events few.
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/netpol", "never-ready"}}},
					PeriodSeconds: 60,
				},
			}},
		},
	}
}

// probeArgs are the command of one attempt, the netpol binary's (see
// fixtures/images/netpol/probe.go): a connection to addr, an HTTP GET
// through it, or a name lookup.
func probeArgs(t spec.ProbeTarget, addr string, timeout time.Duration) []string {
	args := []string{"/netpol", "probe"}
	switch {
	case t.DNS != "":
		args = append(args, "-resolve", t.DNS)
	case t.Path != "":
		args = append(args, "-connect", addr, "-http", t.Path)
	default:
		args = append(args, "-connect", addr)
	}
	return append(args, "-timeout", timeout.String())
}

// refusedBy names what in the namespace refused a pod the grader creates,
// when it is the learner's: the namespace's ResourceQuota, a LimitRange or
// its Pod Security level. "" for any other error.
func refusedBy(err error) string {
	if !apierrors.IsForbidden(err) {
		return ""
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "exceeded quota") || strings.Contains(msg, "must specify"):
		return "the namespace's ResourceQuota"
	case strings.Contains(msg, " per Container is ") || strings.Contains(msg, " per Pod is "):
		return "the namespace's LimitRange"
	case strings.Contains(msg, "violates PodSecurity"):
		return "the namespace's Pod Security admission"
	}
	return ""
}

// probePodDeadline ends a probe pod the grader failed to delete.
const probePodDeadline = 10 * time.Minute

// runningProbe is a probe pod the grader created, watched from its
// creation to its deletion. The learner is an admin of the namespace:
// every version the API server reports is compared with what the grader
// created, so that no outcome is read from a pod relabelled, given another
// image or an ephemeral container, or deleted.
type runningProbe struct {
	created *corev1.Pod
	cancel  context.CancelFunc
	done    chan struct{}
	running chan struct{} // closed once Running with its IP published

	mu     sync.Mutex
	latest *corev1.Pod
	err    error // why the pod's attempts cannot be trusted or made
}

// startProbe creates the probe pod and starts watching it. A pod the
// namespace's quota, LimitRange or Pod Security level refuses is the
// learner's failure.
func startProbe(ctx context.Context, env Env, pod *corev1.Pod) (*runningProbe, error) {
	created, err := env.Clients.Typed.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{FieldManager: "labgrade-grader"})
	if err != nil {
		if by := refusedBy(err); by != "" {
			return nil, Failf("%s refused the grader's probe pod (cpu 10m-100m, memory 16Mi-"+probeMemoryLimit+", restricted): %v", by, err)
		}
		if ctx.Err() != nil {
			return nil, unfinished(ctx, pod)
		}
		return nil, fmt.Errorf("creating a probe pod in namespace %s: %v", pod.Namespace, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	rp := &runningProbe{created: created, latest: created, cancel: cancel, done: make(chan struct{}), running: make(chan struct{})}
	go rp.watch(wctx, env)
	return rp, nil
}

// watch follows the pod until ctx ends or something makes it
// untrustworthy. A watch the API server closes is resumed from the last
// version seen.
func (rp *runningProbe) watch(ctx context.Context, env Env) {
	defer close(rp.done)
	pods := env.Clients.Typed.CoreV1().Pods(rp.created.Namespace)
	for ctx.Err() == nil {
		w, err := pods.Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", rp.created.Name).String(),
			ResourceVersion: rp.last().ResourceVersion,
		})
		if err != nil {
			if ctx.Err() == nil {
				rp.fail(fmt.Errorf("watching probe pod %s: %v", rp.created.Name, err))
			}
			return
		}
		stop := rp.follow(ctx, w)
		w.Stop()
		if stop {
			return
		}
	}
}

// follow reads one watch; it reports whether to stop watching.
func (rp *runningProbe) follow(ctx context.Context, w watch.Interface) bool {
	for {
		select {
		case <-ctx.Done():
			return true
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false
			}
			switch ev.Type {
			case watch.Error:
				rp.fail(fmt.Errorf("watching probe pod %s: %v", rp.created.Name, apierrors.FromObject(ev.Object)))
				return true
			case watch.Deleted:
				rp.fail(tampered(rp.created, "it was deleted"))
				return true
			}
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			rp.mu.Lock()
			rp.latest = p
			rp.mu.Unlock()
			if err := observe(rp.created, p); err != nil {
				rp.fail(err)
				return true
			}
			if p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && probeRunning(p) {
				rp.once(rp.running)
			}
		}
	}
}

// observe judges one version of the probe pod: an error when the pod is
// not the one the grader created, or cannot run.
func observe(created, p *corev1.Pod) error {
	if why := probeChanged(created, p); why != "" {
		return tampered(created, why)
	}
	image := created.Spec.Containers[0].Image
	if why := cannotStart(p); why != "" {
		return fmt.Errorf("probe pod %s (image %s) cannot start: %s (is the image one of spec.cluster.images, loaded into the nodes?)", p.Name, image, why)
	}
	if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
		return fmt.Errorf("probe pod %s (image %s) ended while the grader used it: %s", p.Name, image, cmp.Or(podState(p), p.Status.Reason+" "+p.Status.Message))
	}
	return nil
}

// probeRunning says whether the probe container runs.
func probeRunning(p *corev1.Pod) bool {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == probeContainer {
			return s.State.Running != nil
		}
	}
	return false
}

func (rp *runningProbe) once(ch chan struct{}) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (rp *runningProbe) fail(err error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.err == nil {
		rp.err = err
	}
}

// problem is why the pod's attempts cannot be trusted, or nil.
func (rp *runningProbe) problem() error {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.err
}

// last is the latest version of the pod seen.
func (rp *runningProbe) last() *corev1.Pod {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.latest
}

// awaitRunning returns once the pod runs with its IP published, or why it
// will not.
func (rp *runningProbe) awaitRunning(ctx context.Context) error {
	select {
	case <-rp.running:
		return rp.problem()
	case <-rp.done:
		if err := rp.problem(); err != nil {
			return err
		}
		return unfinished(ctx, rp.last())
	case <-ctx.Done():
		return unfinished(ctx, rp.last())
	}
}

// stop ends the watch and deletes the pod.
func (rp *runningProbe) stop(env Env) {
	rp.cancel()
	<-rp.done
	deleteProbePod(env, rp.created)
}

// probeChanged says how a version of the probe pod differs from what the
// grader created, in what decides its outcome: its labels (which policies
// select it), its image and arguments (what it runs), an ephemeral
// container (another program in its network), or a deletion under way.
func probeChanged(created, p *corev1.Pod) string {
	var diffs []string
	if !maps.Equal(created.Labels, p.Labels) {
		diffs = append(diffs, fmt.Sprintf("labels %s, set %s", labelString(p.Labels), labelString(created.Labels)))
	}
	want := created.Spec.Containers[0]
	if got := p.Spec.Containers; len(got) != 1 || got[0].Image != want.Image || !slices.Equal(got[0].Args, want.Args) {
		var runs []string
		for _, c := range got {
			runs = append(runs, fmt.Sprintf("image %s args %q", c.Image, c.Args))
		}
		diffs = append(diffs, fmt.Sprintf("runs %s, set image %s args %q", strings.Join(runs, " and "), want.Image, want.Args))
	}
	if len(p.Spec.EphemeralContainers) > 0 {
		diffs = append(diffs, "an ephemeral container was added")
	}
	if p.DeletionTimestamp != nil {
		diffs = append(diffs, "it is being deleted")
	}
	return strings.Join(diffs, "; ")
}

func labelString(l map[string]string) string { return spec.ProbeSource{Labels: l}.String() }

// tampered is the error for a probe pod changed while it ran: the
// environment's, since the grader cannot say what it would have measured.
func tampered(created *corev1.Pod, why string) error {
	return fmt.Errorf("probe pod %s was changed by something in the namespace (%s): its outcome cannot be trusted", created.Name, why)
}

// unfinished is the error for an attempt ctx ended: an interrupted grading,
// or a pod that did not finish within the check's timeout (not started,
// not scheduled), which says nothing of the learner's policies.
func unfinished(ctx context.Context, last *corev1.Pod) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return errInterrupted
	}
	state := podState(last)
	if state == "" {
		state = "not started"
	}
	return fmt.Errorf("probe pod %s did not finish before the check timed out: %s", podName(last), state)
}

// podName is a pod's name, or its generateName prefix before it has one.
func podName(p *corev1.Pod) string {
	if p.Name != "" {
		return p.Name
	}
	return p.GenerateName + "…"
}

// probeOutcome reads an attempt's exit status: 0 reached, 1 not reached.
// Anything else (2, bad usage; a signal) is not an outcome: the attempt
// says nothing of the policies.
func probeOutcome(pod *corev1.Pod, code int, said string) (string, error) {
	switch code {
	case 0:
		return outcomeReached, nil
	case 1:
		return outcomeBlocked, nil
	}
	return "", fmt.Errorf("the probe in pod %s (image %s) exited with code %d, neither reached (0) nor not reached (1): %s",
		pod.Name, pod.Spec.Containers[0].Image, code, said)
}

// probeOutputLimit bounds what is kept of an attempt's output: the probe
// prints one line.
const probeOutputLimit = 2048

// execInPod runs a command in the probe container, through the API server
// (pods/exec, as kubectl exec does), and returns its exit code and output.
// A variable for the unit tests: the fake clientset cannot exec.
var execInPod = func(ctx context.Context, env Env, pod *corev1.Pod, cmd []string) (int, string, error) {
	req := env.Clients.Typed.CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: probeContainer, Command: cmd, Stdout: true, Stderr: true,
	}, scheme.ParameterCodec)
	// WebSockets first, SPDY for API servers that do not speak them, as
	// kubectl does
	ws, err := remotecommand.NewWebSocketExecutor(env.Clients.Config, "GET", req.URL().String())
	if err != nil {
		return 0, "", fmt.Errorf("exec in probe pod %s: %v", pod.Name, err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(env.Clients.Config, "POST", req.URL())
	if err != nil {
		return 0, "", fmt.Errorf("exec in probe pod %s: %v", pod.Name, err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return 0, "", fmt.Errorf("exec in probe pod %s: %v", pod.Name, err)
	}
	out := &limitedBuffer{max: probeOutputLimit}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: out, Stderr: out})
	var exit utilexec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), nil
	case errors.As(err, &exit) && exit.Exited():
		return exit.ExitStatus(), out.String(), nil
	}
	return 0, out.String(), fmt.Errorf("exec in probe pod %s: %v", pod.Name, err)
}

// limitedBuffer keeps the first max bytes written to it, and takes the rest
// without keeping it (a writer that failed would end the stream).
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }

// probeSaid shortens the probe's log to what messages show: its first
// line without the reachable/unreachable verdict (the outcome says it) and
// without the address, which the probe's label names by its Service:
// "connected to 10.96.0.12:8080" stays, "unreachable: dial tcp
// 10.96.0.12:8080: i/o timeout" becomes "i/o timeout".
func probeSaid(log, addr string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(log), "\n")
	line = strings.TrimSpace(line)
	for _, verdict := range []string{"reachable: ", "unreachable: "} {
		line = strings.TrimPrefix(line, verdict)
	}
	if addr != "" {
		line = strings.ReplaceAll(line, "dial tcp "+addr+": ", "")
		line = strings.ReplaceAll(line, "http://"+addr, "")
	}
	if len(line) > 200 {
		line = line[:197] + "..."
	}
	return line
}

// judgeProbes turns the probes' runs into the check's verdict: an error
// when a probe could not run, else a Failure listing each probe whose last
// outcome differs from the expectation, else the evidence, every probe's
// outcome.
func judgeProbes(probes []spec.Probe, runs []probeRun) (string, error) {
	var f *Failure
	// the environment's errors first: they make any verdict untrustworthy
	for _, r := range runs {
		if r.err != nil && !errors.As(r.err, &f) {
			return "", r.err
		}
	}
	for _, r := range runs {
		if r.err != nil {
			return "", r.err
		}
	}
	var differ, outcomes []string
	for i, p := range probes {
		r := runs[i]
		said := ""
		if r.said != "" {
			said = " (" + r.said + ")"
		}
		if want := expectedOutcome(p.Expect); r.outcome != want {
			differ = append(differ, fmt.Sprintf("%s: %s, expected %s%s", p, r.outcome, want, said))
			continue
		}
		outcomes = append(outcomes, fmt.Sprintf("%s: %s%s", p, r.outcome, said))
	}
	if len(differ) > 0 {
		return "", Failf("%s", strings.Join(differ, "; "))
	}
	return strings.Join(outcomes, "; "), nil
}

// deleteProbePod removes an attempt's pod at once, also when the check's
// context has ended: probe pods must not linger in the learner's namespace.
func deleteProbePod(env Env, p *corev1.Pod) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = env.Clients.Typed.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptrInt64(0)})
}
