package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/labgrade/labgrade/grader/spec"
)

// complete reports whether a Deployment has finished rolling out: the
// controller saw the latest spec and every replica is updated, ready and
// available, with no old replica left.
func complete(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.ReadyReplicas == want &&
		s.AvailableReplicas == want && s.Replicas == want
}

// progressDeadlineExceeded reports the condition the controller sets when a
// rollout made no progress for progressDeadlineSeconds.
func progressDeadlineExceeded(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return true
		}
	}
	return false
}

// minAvailable is replicas - maxUnavailable, with maxUnavailable resolved
// as the Deployment controller does (a percentage rounds down).
func minAvailable(d *appsv1.Deployment) (replicas, floor int) {
	replicas = 1
	if d.Spec.Replicas != nil {
		replicas = int(*d.Spec.Replicas)
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return replicas, 0
	}
	mu := intstr.FromString("25%")
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		mu = *ru.MaxUnavailable
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(&mu, replicas, false)
	if err != nil {
		n = 0
	}
	return replicas, max(replicas-n, 0)
}

// containerIndex finds the container by name, or the first one.
func containerIndex(d *appsv1.Deployment, name string) (int, error) {
	cs := d.Spec.Template.Spec.Containers
	if len(cs) == 0 {
		return 0, fmt.Errorf("deployment %s has no containers", d.Name)
	}
	if name == "" {
		return 0, nil
	}
	for i, c := range cs {
		if c.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("deployment %s has no container %q", d.Name, name)
}

// setImage changes one container's image with a JSON patch (the
// container is addressed by index, checked against its name first so a
// concurrent change cannot make us patch the wrong one).
func setImage(ctx context.Context, env Env, d *appsv1.Deployment, idx int, image string) error {
	patch, _ := json.Marshal([]map[string]any{
		{"op": "test", "path": fmt.Sprintf("/spec/template/spec/containers/%d/name", idx), "value": d.Spec.Template.Spec.Containers[idx].Name},
		{"op": "replace", "path": fmt.Sprintf("/spec/template/spec/containers/%d/image", idx), "value": image},
	})
	_, err := env.Clients.Typed.AppsV1().Deployments(d.Namespace).Patch(ctx, d.Name, types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: "labgrade-grader"})
	return err
}

// waitDeployment watches one Deployment until cond holds or ctx ends, and
// returns the last state seen.
func waitDeployment(ctx context.Context, env Env, name string, cond func(*appsv1.Deployment) bool) (*appsv1.Deployment, bool) {
	f := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(env.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}))
	inf := f.Apps().V1().Deployments().Informer()
	changed, _ := onChange(inf)
	stop := make(chan struct{})
	defer close(stop)
	go inf.Run(stop)
	firstListed(ctx, inf) // what it brought is judged once, even after ctx
	var last *appsv1.Deployment
	for {
		if obj, ok, _ := inf.GetStore().GetByKey(env.Namespace + "/" + name); ok {
			last = obj.(*appsv1.Deployment)
			if cond(last) {
				return last, true
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return last, false
		}
	}
}

// endpointWatch follows a Service's EndpointSlices and keeps, on every
// change the API server reports, the number of ready endpoints and the
// lowest number of endpoints kept (see watchReadyEndpoints).
type endpointWatch struct {
	mu     sync.Mutex
	min    int
	cur    int
	synced bool
	stop   chan struct{}
	pods   cache.SharedIndexInformer
	// wasReady holds the pods seen ready; flapped, those of them seen not
	// ready later while not being deleted
	wasReady map[types.UID]bool
	flapped  map[string]bool
	// lowAt and lowSaw say when the lowest count was first seen and what
	// each endpoint was then, so a failure tells the learner which pod was
	// missing and why (being deleted, or not ready and since when); times
	// are said from origin
	origin time.Time
	lowAt  time.Time
	lowSaw string
}

// managedByController is the label value of EndpointSlices the
// EndpointSlice controller writes for a Service with a selector.
const managedByController = "endpointslice-controller.k8s.io"

// watchReadyEndpoints counts a Service's ready endpoints as the
// EndpointSlice controller publishes them, and the endpoints it keeps: the
// ready ones and those whose pod was ready, is not being deleted, and
// whose readiness probe fails for a while. A rollout takes capacity away
// only by deleting pods; a probe that times out on a busy node makes a pod
// not ready for seconds without anyone taking it away (seen on CI hosts,
// where it failed a correct rollout now and then), so it is not charged to
// the rollout's strategy. Requests that fail meanwhile still are.
//
// The learner may write EndpointSlices too (namespace admin), so a slice
// counts only with the controller's label, and an endpoint only as one of
// the namespace's pods that exists and is not terminating, once per pod
// however many slices list it: a forged slice can neither invent endpoints
// nor hide a pod that stops. (The labels themselves could be forged; the
// pod checks are what bound such a slice to pods that really serve.) Pods
// appear in the pod cache before their endpoints are ready (they are
// created, then started, then pass a probe), so the pod check never
// undercounts.
func watchReadyEndpoints(ctx context.Context, env Env, service string) *endpointWatch {
	w := &endpointWatch{min: math.MaxInt, stop: make(chan struct{}), origin: time.Now(),
		wasReady: map[types.UID]bool{}, flapped: map[string]bool{}}
	sliceInf := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(env.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = discoveryv1.LabelServiceName + "=" + service + "," + discoveryv1.LabelManagedBy + "=" + managedByController
		})).Discovery().V1().EndpointSlices().Informer()
	pods := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(env.Namespace)).
		Core().V1().Pods().Informer()
	w.pods = pods
	recount := func(any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		ready, kept := map[types.UID]bool{}, map[types.UID]bool{}
		saw := map[string]string{}
		for _, obj := range sliceInf.GetStore().List() {
			for _, ep := range obj.(*discoveryv1.EndpointSlice).Endpoints {
				ref := ep.TargetRef
				if ref == nil || ref.Kind != "Pod" {
					continue
				}
				var pod *corev1.Pod
				if p, ok, _ := pods.GetStore().GetByKey(env.Namespace + "/" + ref.Name); ok && p.(*corev1.Pod).UID == ref.UID {
					pod = p.(*corev1.Pod)
				}
				epReady := ep.Conditions.Ready == nil || *ep.Conditions.Ready
				serving := pod != nil && pod.DeletionTimestamp == nil
				switch {
				case serving && epReady:
					ready[ref.UID], kept[ref.UID], w.wasReady[ref.UID] = true, true, true
				case serving && w.wasReady[ref.UID] && !ready[ref.UID]:
					kept[ref.UID], w.flapped[ref.Name] = true, true
				}
				if saw[ref.Name] == "" || epReady {
					saw[ref.Name] = endpointState(epReady, pod, w.wasReady[ref.UID], w.origin)
				}
			}
		}
		w.cur = len(ready)
		if w.synced && len(kept) < w.min {
			w.min, w.lowAt, w.lowSaw = len(kept), time.Now(), describeEndpoints(saw)
		}
	}
	_, _ = sliceInf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: recount, DeleteFunc: recount, UpdateFunc: func(_, n any) { recount(n) }})
	go pods.Run(w.stop)
	go sliceInf.Run(w.stop)
	firstListed(ctx, pods, sliceInf)
	w.mu.Lock()
	w.synced = true
	w.mu.Unlock()
	recount(nil)
	return w
}

// current returns the ready count as last seen.
func (w *endpointWatch) current() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cur
}

// lowest returns the fewest endpoints kept since the watch synced.
func (w *endpointWatch) lowest() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.min
}

// from sets the moment the watch's times are said from (the start of a
// rollout), instead of the watch's own start.
func (w *endpointWatch) from(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.origin = t
}

// flaps names the pods whose readiness failed after they had been ready,
// while they were not being deleted.
func (w *endpointWatch) flaps() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Sorted(maps.Keys(w.flapped))
}

// lowestSeen says how long after origin the minimum was first seen, and
// each endpoint's state then.
func (w *endpointWatch) lowestSeen() (time.Duration, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lowAt.Sub(w.origin), w.lowSaw
}

// restartsSince says which containers of the namespace's pods ended since
// origin and were started again (a liveness probe that killed a server, a
// crash), with when and how, the first maxDescribed of them: requests that
// fail during a rollout while no pod is taken away are often these.
func (w *endpointWatch) restartsSince() string {
	w.mu.Lock()
	origin := w.origin
	w.mu.Unlock()
	var says []string
	for _, obj := range w.pods.GetStore().List() {
		p := obj.(*corev1.Pod)
		for _, cs := range p.Status.ContainerStatuses {
			t := cs.LastTerminationState.Terminated
			if t == nil || t.FinishedAt.Time.Before(origin) {
				continue
			}
			says = append(says, fmt.Sprintf("pod %s container %s ended at %+.1fs (%s, exit %d) and restarted",
				p.Name, cs.Name, t.FinishedAt.Sub(origin).Seconds(), t.Reason, t.ExitCode))
		}
	}
	slices.Sort(says)
	if len(says) > maxDescribed {
		says = append(says[:maxDescribed], fmt.Sprintf("and %d more", len(says)-maxDescribed))
	}
	return strings.Join(says, "; ")
}

// endpointState says why an endpoint counts or not: the slice's own ready
// flag, then the pod's (being deleted; not ready with its Ready
// condition's reason and when it changed, and whether it had been ready;
// its container restarts).
func endpointState(epReady bool, pod *corev1.Pod, wasReady bool, origin time.Time) string {
	switch {
	case pod == nil:
		return "not a pod of the namespace"
	case pod.DeletionTimestamp != nil:
		return "being deleted"
	case epReady:
		return "ready"
	}
	state := "not ready"
	for _, c := range pod.Status.Conditions {
		if c.Type != corev1.PodReady {
			continue
		}
		if c.Reason != "" {
			state += " (" + c.Reason + ")"
		}
		if !c.LastTransitionTime.IsZero() {
			state += fmt.Sprintf(" since %+.1fs", c.LastTransitionTime.Sub(origin).Seconds())
		}
	}
	restarts := int32(0)
	for _, cs := range pod.Status.ContainerStatuses {
		restarts += cs.RestartCount
	}
	if restarts > 0 {
		state += fmt.Sprintf(", %d restarts", restarts)
	}
	if wasReady {
		state += ", after being ready: kept (a failed readiness probe takes no pod away)"
	}
	return state
}

// describeEndpoints lists pod: state, sorted by pod name, the first
// maxDescribed of them: slices the learner writes can list thousands.
func describeEndpoints(saw map[string]string) string {
	if len(saw) == 0 {
		return "no endpoints"
	}
	names := slices.Sorted(maps.Keys(saw))
	parts := make([]string, 0, min(len(names), maxDescribed)+1)
	for _, n := range names[:min(len(names), maxDescribed)] {
		parts = append(parts, n+" "+saw[n])
	}
	if len(names) > maxDescribed {
		parts = append(parts, fmt.Sprintf("and %d more", len(names)-maxDescribed))
	}
	return strings.Join(parts, ", ")
}

// maxDescribed bounds the endpoints a failure message lists.
const maxDescribed = 8

func (w *endpointWatch) close() { close(w.stop) }

// prepare reads the Deployment a rollout check changes and checks it is
// fully rolled out before the grader touches it. It returns the Deployment
// and the index of the container to change.
func prepare(ctx context.Context, env Env, u spec.DeploymentUpdate) (*appsv1.Deployment, int, error) {
	d, err := env.Clients.Typed.AppsV1().Deployments(env.Namespace).Get(ctx, u.Deployment, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, 0, Failf("Deployment/%s not found", u.Deployment)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading Deployment/%s: %v", u.Deployment, err)
	}
	idx, err := containerIndex(d, u.Container)
	if err != nil {
		return nil, 0, Failf("%w", err)
	}
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	d, ok := waitDeployment(readyCtx, env, u.Deployment, complete)
	if !ok {
		return nil, 0, Failf("Deployment/%s was not fully rolled out and ready before the check (%s)", u.Deployment, describeStatus(d))
	}
	return d, idx, nil
}

// runsImage says, when the Deployment's container idx does not run image,
// what it runs instead. The grader set that image itself; a Deployment
// that ended on another was changed by something in the learner's
// namespace during the check, and the rollout seen is not the one graded.
func runsImage(d *appsv1.Deployment, idx int, image string) error {
	if d == nil || idx >= len(d.Spec.Template.Spec.Containers) {
		return nil // nothing seen: judged by the caller
	}
	if got := d.Spec.Template.Spec.Containers[idx].Image; got != image {
		return Failf("Deployment/%s ended on image %s, not %s which the grader set: something in the namespace changed it during the check", d.Name, got, image)
	}
	return nil
}

func describeStatus(d *appsv1.Deployment) string {
	if d == nil {
		return "not found"
	}
	s := d.Status
	return fmt.Sprintf("replicas %d, updated %d, ready %d, available %d", s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas)
}
