package checks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runScheduling) }

// runScheduling waits until the judged pods run where the lab expects and
// nowhere else could, then, with a burst, scales the burst's Deployment
// up, requires preemption, scales it back and requires the judged pods to
// run again.
func runScheduling(ctx context.Context, env Env, s *spec.SchedulingCheck) (string, error) {
	podSel, err := labels.Parse(s.Selector)
	if err != nil {
		return "", fmt.Errorf("selector %q: %v", s.Selector, err)
	}
	nodeSel, err := labels.Parse(s.Nodes)
	if err != nil {
		return "", fmt.Errorf("nodes %q: %v", s.Nodes, err)
	}
	nodeList, err := env.Clients.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing the cluster's nodes: %v", err)
	}
	nodes := nodeList.Items
	if !slices.ContainsFunc(nodes, func(n corev1.Node) bool { return nodeSel.Matches(labels.Set(n.Labels)) }) {
		return "", fmt.Errorf("no node of the cluster has labels %s: the lab's node layout and its check disagree", s.Nodes)
	}
	judged, err := watchPods(ctx, env, podSel)
	if err != nil {
		return "", err
	}
	defer judged.stop()

	placeCtx := ctx
	if s.Burst != nil { // the burst and the resumption need the rest
		var cancel context.CancelFunc
		placeCtx, cancel = context.WithTimeout(ctx, time.Until(deadlineOf(ctx))-s.Burst.Deadline.Duration-s.Burst.Resume.Duration)
		defer cancel()
	}
	what := fmt.Sprintf("pods with labels %s", s.Selector)
	var placed string
	err = judged.await(placeCtx, func(pods []*corev1.Pod) (bool, error) {
		var err error
		placed, err = placement(pods, nodes, nodeSel, s.Min, what, s.Nodes)
		return placed != "", err
	})
	if err != nil || s.Burst == nil {
		return placed, err
	}
	return runBurst(ctx, env, s, judged, what, placed)
}

// deadlineOf is ctx's deadline (checks always run with one; an hour
// otherwise).
func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Hour)
}

// placement judges the pods as they stand: the evidence when at least min
// run and all are where they belong; else final, when a pod runs or could
// run on a node nodes does not select (that stays so), or why not yet.
func placement(pods []*corev1.Pod, nodes []corev1.Node, nodeSel labels.Selector, min int, what, nodesWant string) (evidence string, err error) {
	var wrong, waiting []string
	onNodes := map[string]int{}
	running := 0
	for _, p := range pods {
		if !live(p) {
			continue
		}
		if n := nodeNamed(nodes, p.Spec.NodeName); n != nil && !nodeSel.Matches(labels.Set(n.Labels)) {
			wrong = append(wrong, fmt.Sprintf("pod %s runs on node %s (labels %s), which is not one of the nodes %s", p.Name, n.Name, nodeLabels(n), nodesWant))
			continue
		}
		if why := admittedElsewhere(p, nodes, nodeSel); why != "" {
			wrong = append(wrong, fmt.Sprintf("pod %s %s", p.Name, why))
		}
		if p.Spec.NodeName == "" {
			waiting = append(waiting, fmt.Sprintf("pod %s waits: %s", p.Name, orNotYet(podState(p))))
			continue
		}
		if p.Status.Phase == corev1.PodRunning {
			running++
			onNodes[p.Spec.NodeName]++
		} else {
			waiting = append(waiting, fmt.Sprintf("pod %s on %s: %s", p.Name, p.Spec.NodeName, orNotYet(podState(p))))
		}
	}
	if len(wrong) > 0 {
		return "", final{Failf("%s", strings.Join(firstOf(wrong, 4), "; "))}
	}
	// every pod, not min of them: pods that merely carry the labels must
	// not hide one that waits
	if running < min || len(waiting) > 0 {
		why := fmt.Sprintf("running: %d of %s expected", running, count(min, what))
		if len(pods) == 0 {
			why = fmt.Sprintf("no %s exist (expected %d running)", what, min)
		}
		if len(waiting) > 0 {
			why += "; " + strings.Join(firstOf(waiting, 3), "; ")
		}
		return "", Failf("%s", why)
	}
	var on []string
	for _, n := range slices.Sorted(maps.Keys(onNodes)) {
		on = append(on, fmt.Sprintf("%d on %s", onNodes[n], n))
	}
	return fmt.Sprintf("%s running (%s), on nodes %s and no others their spec admits", count(running, what), strings.Join(on, ", "), nodesWant), nil
}

// final marks a Failure waiting cannot mend: a pod placed, or admitted, on
// a node it does not belong on.
type final struct{ error }

func (f final) Unwrap() error { return f.error }

// count says n of what, a plural starting with "pods": "1 pod with
// labels app=x", "2 pods with labels app=x".
func count(n int, what string) string {
	if n == 1 {
		what = strings.Replace(what, "pods", "pod", 1)
	}
	return fmt.Sprintf("%d %s", n, what)
}

func orNotYet(state string) string {
	if state == "" {
		return "not scheduled yet"
	}
	return state
}

func firstOf(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(slices.Clone(lines[:n]), fmt.Sprintf("and %d more", len(lines)-n))
}

// live says whether a pod counts: neither ended nor being deleted.
func live(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

func nodeNamed(nodes []corev1.Node, name string) *corev1.Node {
	for i := range nodes {
		if nodes[i].Name == name {
			return &nodes[i]
		}
	}
	return nil
}

// admittedElsewhere names the first node nodeSel does not select that the
// pod's own spec admits, as the scheduler's filters would: it tolerates
// the node's NoSchedule and NoExecute taints, its node selector and
// required node affinity match the node's labels, and the node offers
// every extended resource it requests. CPU and memory are left out: they
// change with load, and keep nothing off a node for good.
func admittedElsewhere(p *corev1.Pod, nodes []corev1.Node, nodeSel labels.Selector) string {
	affinity := nodeaffinity.GetRequiredNodeAffinity(p)
	for i := range nodes {
		n := &nodes[i]
		if nodeSel.Matches(labels.Set(n.Labels)) {
			continue
		}
		if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), n.Spec.Taints, p.Spec.Tolerations, func(t *corev1.Taint) bool {
			return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
		}, false); untolerated {
			continue
		}
		if ok, err := affinity.Match(n); err != nil || !ok {
			continue
		}
		if lacks := missingExtended(p, n); lacks != "" {
			continue
		}
		return fmt.Sprintf("could be placed on node %s (labels %s): its tolerations, node selector, affinity and resources admit it", n.Name, nodeLabels(n))
	}
	return ""
}

// missingExtended names an extended resource (nvidia.com/gpu) the pod
// requests that the node does not offer.
func missingExtended(p *corev1.Pod, n *corev1.Node) string {
	for _, c := range p.Spec.Containers {
		for name, q := range c.Resources.Requests {
			if !strings.Contains(string(name), "/") || strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) || q.IsZero() {
				continue // cpu, memory, ephemeral-storage, hugepages
			}
			if have, ok := n.Status.Allocatable[name]; !ok || have.Cmp(q) < 0 {
				return string(name)
			}
		}
	}
	return ""
}

// nodeLabels are a node's labels without those every node has
// (kubernetes.io/hostname, os, arch).
func nodeLabels(n *corev1.Node) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
		if strings.HasPrefix(k, "kubernetes.io/") || strings.HasPrefix(k, "beta.kubernetes.io/") {
			continue
		}
		out = append(out, k+"="+n.Labels[k])
	}
	if len(out) == 0 {
		return "none of note"
	}
	return strings.Join(out, ",")
}

// runBurst scales the burst's Deployment up, waits for its pods to run and
// a judged pod to have been preempted, scales it back and waits for the
// judged pods to run again.
func runBurst(ctx context.Context, env Env, s *spec.SchedulingCheck, judged *podWatch, what, placed string) (string, error) {
	b := s.Burst
	deps := env.Clients.Typed.AppsV1().Deployments(env.Namespace)
	dep, err := deps.Get(ctx, b.Deployment, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", Failf("deployment %s not found in namespace %s: the burst scales it up", b.Deployment, env.Namespace)
	case err != nil:
		return "", fmt.Errorf("reading deployment %s: %v", b.Deployment, err)
	}
	burstSel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return "", Failf("deployment %s has a selector labgrade cannot read: %v", b.Deployment, err)
	}
	burst, err := watchPods(ctx, env, burstSel)
	if err != nil {
		return "", err
	}
	defer burst.stop()

	was := int32(1)
	if dep.Spec.Replicas != nil {
		was = *dep.Spec.Replicas
	}
	if err := scaleDeployment(ctx, env, b.Deployment, b.Replicas); err != nil {
		return "", err
	}
	scaledBack := false
	defer func() { // the cluster as the learner left it, whatever happened
		if !scaledBack {
			bctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = scaleDeployment(bctx, env, b.Deployment, was)
		}
	}()
	start := time.Now()
	burstWhat := fmt.Sprintf("pods of deployment %s", b.Deployment)
	dctx, cancel := context.WithTimeout(ctx, b.Deadline.Duration)
	defer cancel()
	err = burst.await(dctx, func(pods []*corev1.Pod) (bool, error) {
		running, waiting := tally(pods)
		victims := judged.preempted()
		if running >= int(b.Replicas) && len(victims) > 0 {
			return true, nil
		}
		why := fmt.Sprintf("running: %d of %s, %s after scaling it to %d", running, count(int(b.Replicas), burstWhat), b.Deadline.Duration, b.Replicas)
		if len(waiting) > 0 {
			why += "; " + strings.Join(firstOf(waiting, 2), "; ")
		}
		if len(victims) == 0 {
			why += fmt.Sprintf("; the scheduler preempted none of the %s", what)
		}
		return false, Failf("%s", why)
	})
	if err != nil {
		return "", err
	}
	ran := time.Since(start)
	victims := judged.preempted()

	if err := scaleDeployment(ctx, env, b.Deployment, was); err != nil {
		return "", err
	}
	scaledBack = true
	resumed := time.Now()
	rctx, cancel := context.WithTimeout(ctx, b.Resume.Duration)
	defer cancel()
	err = judged.await(rctx, func(pods []*corev1.Pod) (bool, error) {
		running, waiting := tally(pods)
		if running >= s.Min && len(waiting) == 0 {
			return true, nil
		}
		why := fmt.Sprintf("running again: %d of %s, %s after deployment %s was scaled back to %d", running, count(s.Min, what), b.Resume.Duration, b.Deployment, was)
		if len(waiting) > 0 {
			why += "; " + strings.Join(firstOf(waiting, 2), "; ")
		}
		if failed := failedJobs(ctx, env, judged.jobs()); failed != "" {
			// a failed Job starts no pod again: no use waiting
			return false, final{Failf("%s; %s", why, failed)}
		}
		return false, Failf("%s", why)
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; %s ran %.1fs after scaling it to %d, preempting %s; %s ran again %.1fs after the burst ended",
		placed, count(int(b.Replicas), burstWhat), ran.Seconds(), b.Replicas, strings.Join(firstOf(victims, 3), ", "),
		count(s.Min, what), time.Since(resumed).Seconds()), nil
}

// tally counts the live pods that run, and says why each other one waits.
func tally(pods []*corev1.Pod) (running int, waiting []string) {
	for _, p := range pods {
		if !live(p) {
			continue
		}
		if p.Status.Phase == corev1.PodRunning {
			running++
		} else {
			waiting = append(waiting, fmt.Sprintf("pod %s waits: %s", p.Name, orNotYet(podState(p))))
		}
	}
	return running, waiting
}

// scaleDeployment sets a Deployment's replicas through its scale
// subresource, as kubectl scale does.
func scaleDeployment(ctx context.Context, env Env, name string, replicas int32) error {
	_, err := env.Clients.Typed.AppsV1().Deployments(env.Namespace).UpdateScale(ctx, name, &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: env.Namespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}, metav1.UpdateOptions{FieldManager: "labgrade-grader"})
	switch {
	case apierrors.IsNotFound(err):
		return Failf("deployment %s was deleted during the check", name)
	case err != nil:
		return fmt.Errorf("scaling deployment %s to %d: %v", name, replicas, err)
	}
	return nil
}

// failedJobs says which of the named Jobs failed, and why: a Job that
// counts a preempted pod against a backoffLimit of 0 ends there.
func failedJobs(ctx context.Context, env Env, names []string) string {
	var out []string
	for _, name := range names {
		j, err := env.Clients.Typed.BatchV1().Jobs(env.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, c := range j.Status.Conditions {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				out = append(out, fmt.Sprintf("job %s failed (%s: %s)", name, c.Reason, c.Message))
			}
		}
	}
	return strings.Join(out, "; ")
}

// podWatch follows the pods a selector matches in the grading namespace,
// and remembers every one the scheduler preempted: such a pod is deleted
// soon after, so its DisruptionTarget condition is caught from the watch's
// events rather than from the pods that remain.
type podWatch struct {
	inf     cache.SharedIndexInformer
	changed <-chan struct{}
	cancel  context.CancelFunc

	mu      sync.Mutex
	victims map[string]bool
	owners  map[string]bool // the Jobs owning the pods seen
}

func watchPods(ctx context.Context, env Env, sel labels.Selector) (*podWatch, error) {
	wctx, cancel := context.WithCancel(ctx)
	factory := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(env.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel.String() }))
	inf := factory.Core().V1().Pods().Informer()
	w := &podWatch{inf: inf, cancel: cancel, victims: map[string]bool{}, owners: map[string]bool{}}
	changed, err := onChange(inf)
	if err != nil {
		cancel()
		return nil, err
	}
	w.changed = changed
	note := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if preemptedByScheduler(p) {
			w.victims[p.Name] = true
		}
		for _, o := range p.OwnerReferences {
			if o.Kind == "Job" && o.Controller != nil && *o.Controller {
				w.owners[o.Name] = true
			}
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: note, UpdateFunc: func(_, n any) { note(n) }, DeleteFunc: note,
	}); err != nil {
		cancel()
		return nil, err
	}
	go inf.Run(wctx.Done())
	if !firstListed(ctx, inf) {
		cancel()
		if interrupted(ctx) {
			return nil, errInterrupted
		}
		return nil, fmt.Errorf("listing pods with labels %s in namespace %s did not finish in time", sel, env.Namespace)
	}
	return w, nil
}

// preemptedByScheduler says whether the scheduler evicted the pod to make
// room for a pod of higher priority.
func preemptedByScheduler(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == corev1.PodReasonPreemptionByScheduler {
			return true
		}
	}
	return false
}

func (w *podWatch) stop() { w.cancel() }

// preempted are the names of the pods seen preempted, sorted.
func (w *podWatch) preempted() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Sorted(maps.Keys(w.victims))
}

func (w *podWatch) jobs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Sorted(maps.Keys(w.owners))
}

// await evaluates judge on the pods each time they change until it says
// done, returns a final error, or ctx ends (then judge's last error).
func (w *podWatch) await(ctx context.Context, judge func([]*corev1.Pod) (done bool, err error)) error {
	for {
		var pods []*corev1.Pod
		for _, o := range w.inf.GetStore().List() {
			if p, ok := o.(*corev1.Pod); ok {
				pods = append(pods, p)
			}
		}
		slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
		done, err := judge(pods)
		var fin final
		switch {
		case done:
			return nil
		case errors.As(err, &fin):
			return fin.error
		}
		select {
		case <-w.changed:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return errInterrupted
			}
			return err
		}
	}
}
