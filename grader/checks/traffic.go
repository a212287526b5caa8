package checks

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/spec"
	"github.com/labgrade/labgrade/grader/traffic"
)

// loadgen is a running load generator pod in the grader's namespace.
type loadgen struct {
	env  Env
	ns   string
	name string
	// token guards the pod's control requests (reset, stop)
	token string
	// rate is the requests per second it was told to send
	rate int
	// spec is what the grader created, to verify later that it still runs
	spec corev1.PodSpec
}

const loadgenPort = "8081"

// startTraffic runs the load generator against the Service and waits until
// requests succeed steadily, so that what follows is measured under real
// traffic. It returns an error instead when that fails: a Service that
// never answers is the learner's failure, a load generator that does not
// start is an environment error. extraArgs go to the load generator (e.g.
// -shift feature=delta).
func startTraffic(ctx context.Context, env Env, t spec.Traffic, extraArgs ...string) (*loadgen, error) {
	if err := ensureGraderNamespace(ctx, env); err != nil {
		return nil, err
	}
	ns := GraderNamespace
	lg := &loadgen{env: env, ns: ns, name: "labgrade-loadgen-" + rand.String(5), token: rand.String(24), rate: t.Rate}
	target := fmt.Sprintf("http://%s.%s.svc:%s%s", t.Service, env.Namespace, t.Port.String(), t.Path)
	small := corev1.ResourceList{corev1.ResourceCPU: loadgenCPU(t.Rate), corev1.ResourceMemory: resource.MustParse("16Mi")}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: lg.name, Labels: map[string]string{
			"app.kubernetes.io/managed-by": "labgrade", "labgrade.dev/role": "loadgen", "labgrade.dev/grading": env.Namespace}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptrInt64(1),
			AutomountServiceAccountToken:  new(bool),
			Containers: []corev1.Container{{
				Name: "loadgen", Image: t.LoadgenImage, ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            append([]string{"-target", target, "-rate", strconv.Itoa(t.Rate)}, extraArgs...),
				Env:             []corev1.EnvVar{{Name: "LOADGEN_TOKEN", Value: lg.token}},
				Ports:           []corev1.ContainerPort{{ContainerPort: 8081}},
				SecurityContext: restricted(),
				Resources: corev1.ResourceRequirements{Requests: small, Limits: corev1.ResourceList{
					corev1.ResourceCPU: *resource.NewMilliQuantity(loadgenMaxMilliCPU, resource.DecimalSI), corev1.ResourceMemory: resource.MustParse("128Mi")}},
			}},
		},
	}
	lg.spec = *pod.Spec.DeepCopy()
	if _, err := env.Clients.Typed.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("starting the load generator: %v", err)
	}
	// Running, then answering its summary, then steady: a full second of
	// requests with no failure (stale endpoints of earlier pods may refuse
	// the first ones). Then the counters start afresh, so that only what
	// happens from the change on is judged.
	var last, prev traffic.Summary
	var asked error // the last summary request's error, for the message
	steadySince := time.Time{}
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		s, err := lg.summary(ctx)
		if asked = err; err != nil {
			return false, nil
		}
		prev, last = last, s
		if s.OK == 0 || s.Failed != prev.Failed {
			steadySince = time.Time{}
			return false, nil
		}
		if steadySince.IsZero() {
			steadySince = time.Now()
		}
		return time.Since(steadySince) >= time.Second, nil
	})
	if err == nil {
		err = lg.reset(ctx)
	}
	if err != nil {
		why := lg.why(asked)
		lg.delete()
		if last.Sent > 0 {
			return nil, Failf("traffic through service %s never ran a second without failures before the change: %s", t.Service, last)
		}
		return nil, fmt.Errorf("the load generator pod %s did not start sending in 60s (%s): %v", lg.name, why, err)
	}
	return lg, nil
}

// loadgenCPU is the load generator's CPU request for rate requests a
// second: 1 millicore per request a second (it used 82 ms of CPU a second
// at 100 req/s here, a new connection per request), at least 10m, at most
// its 500m limit. The request is also its share of a busy node's CPU: at
// 10m beside busy pods it got 1 % of a core, sent 8 requests a second of
// 100, and waited seconds for answers that had come (CI saw them time out
// and fail a correct rollout); at 100m it kept its rate with a p99 of
// 140 ms (measured with docker --cpu-shares beside three busy loops).
func loadgenCPU(rate int) resource.Quantity {
	return *resource.NewMilliQuantity(min(max(int64(rate), 10), loadgenMaxMilliCPU), resource.DecimalSI)
}

// loadgenMaxMilliCPU is the load generator's CPU limit.
const loadgenMaxMilliCPU = 500

// keptRate returns an environment error when the load generator sent fewer
// than half the requests its rate asks for (less its last requests' time
// to answer, at most traffic.RequestTimeout): it was starved of CPU, and
// a rollout "under traffic" that had next to none, or answers it read too
// late, measures nothing. A slow or dead Service does not lower the count:
// a request is sent on every tick whatever became of the last ones.
func keptRate(s traffic.Summary, rate int) error {
	want := float64(rate) * (s.DurationSeconds - traffic.RequestTimeout.Seconds())
	if want < float64(rate) || float64(s.Sent) >= want/2 {
		return nil
	}
	return fmt.Errorf("the load generator sent %d requests in %.0fs, under half of its %d a second: it did not get the CPU it needs (an overloaded node), so the traffic measures nothing",
		s.Sent, s.DurationSeconds, rate)
}

// why says how the load generator pod stands when it did not start: not
// scheduled (a node without room for it: too many gradings at once), its
// container waiting, or running while its summary does not answer.
func (l *loadgen) why(asked error) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := l.env.Clients.Typed.CoreV1().Pods(l.ns).Get(ctx, l.name, metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("reading the pod: %v", err)
	}
	if p.Status.Phase == corev1.PodRunning {
		if asked != nil {
			return fmt.Sprintf("pod running; its summary did not answer: %v", asked)
		}
		return "pod running, no request sent"
	}
	return cmp.Or(podState(p), "pod "+strings.ToLower(string(p.Status.Phase)))
}

func (l *loadgen) summary(ctx context.Context) (traffic.Summary, error) {
	var s traffic.Summary
	raw, err := l.env.Clients.Typed.CoreV1().Pods(l.ns).ProxyGet("http", l.name, loadgenPort, "/summary", nil).DoRaw(ctx)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(raw, &s)
}

// post sends a control request to the load generator through the pod
// proxy, retried briefly: the proxy path crosses the API server and the
// node, and one lost call must not turn a graded rollout into an error.
func (l *loadgen) post(ctx context.Context, path string) ([]byte, error) {
	var raw []byte
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		raw, err = l.env.Clients.Typed.CoreV1().RESTClient().Post().Namespace(l.ns).Resource("pods").
			Name(l.name+":"+loadgenPort).SubResource("proxy").Suffix(path).Param("token", l.token).DoRaw(ctx)
		if err == nil {
			return raw, nil
		}
		sleepCtx(ctx, time.Duration(attempt+1)*500*time.Millisecond)
	}
	return nil, err
}

// reset makes the load generator count afresh.
func (l *loadgen) reset(ctx context.Context) error {
	_, err := l.post(ctx, "/reset")
	return err
}

// stop ends the traffic and returns the final summary.
func (l *loadgen) stop(ctx context.Context) (traffic.Summary, error) {
	var s traffic.Summary
	raw, err := l.post(ctx, "/stop")
	if err != nil {
		return s, fmt.Errorf("stopping the load generator pod %s: %w", l.name, err)
	}
	if err := l.intact(ctx); err != nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, err
	}
	return s, keptRate(s, l.rate)
}

// rows are the rows the load generator sent since it started.
func (l *loadgen) rows(ctx context.Context) (traffic.Rows, error) {
	var r traffic.Rows
	raw, err := l.env.Clients.Typed.CoreV1().Pods(l.ns).ProxyGet("http", l.name, loadgenPort, "/rows", nil).DoRaw(ctx)
	if err != nil {
		return r, fmt.Errorf("reading the rows the load generator sent: %w", err)
	}
	return r, json.Unmarshal(raw, &r)
}

// intact says whether the load generator pod still runs the spec the grader
// gave it. Nothing the learner applies can change it (it lives in the
// grader's namespace), so a difference means the cluster is not what the
// grader believes: the measurement is not to be trusted.
func (l *loadgen) intact(ctx context.Context) error {
	p, err := l.env.Clients.Typed.CoreV1().Pods(l.ns).Get(ctx, l.name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading back the load generator pod %s: %w", l.name, err)
	}
	got, want := p.Spec.Containers, l.spec.Containers
	if len(got) != len(want) || got[0].Image != want[0].Image || !slices.Equal(got[0].Args, want[0].Args) {
		return fmt.Errorf("the load generator pod %s/%s no longer runs what the grader created (image %s, args %v)", l.ns, l.name, got[0].Image, got[0].Args)
	}
	return nil
}

func (l *loadgen) delete() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.env.Clients.Typed.CoreV1().Pods(l.ns).Delete(ctx, l.name, metav1.DeleteOptions{GracePeriodSeconds: ptrInt64(0)})
}

func ptrInt64(v int64) *int64 { return &v }
