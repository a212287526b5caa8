package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
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

// endpointWatch follows a Service's EndpointSlices and keeps the lowest
// number of ready endpoints seen, on every change the API server reports.
type endpointWatch struct {
	mu     sync.Mutex
	min    int
	cur    int
	synced bool
	stop   chan struct{}
}

// managedByController is the label value of EndpointSlices the
// EndpointSlice controller writes for a Service with a selector.
const managedByController = "endpointslice-controller.k8s.io"

// watchReadyEndpoints counts a Service's ready endpoints as the
// EndpointSlice controller publishes them. The learner may write
// EndpointSlices too (namespace admin), so a slice counts only with the
// controller's label, and an endpoint only as one of the namespace's pods
// that exists and is not terminating, once per pod however many slices
// list it: a forged slice can neither invent endpoints nor hide a pod
// that stops. (The labels themselves could be forged; the pod checks are
// what bound such a slice to pods that really serve.) Pods appear in the
// pod cache before their endpoints are ready (they are created, then
// started, then pass a probe), so the pod check never undercounts.
func watchReadyEndpoints(ctx context.Context, env Env, service string) *endpointWatch {
	w := &endpointWatch{min: math.MaxInt, stop: make(chan struct{})}
	sliceInf := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(env.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = discoveryv1.LabelServiceName + "=" + service + "," + discoveryv1.LabelManagedBy + "=" + managedByController
		})).Discovery().V1().EndpointSlices().Informer()
	pods := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(env.Namespace)).
		Core().V1().Pods().Informer()
	recount := func(any) {
		ready := map[types.UID]bool{}
		for _, obj := range sliceInf.GetStore().List() {
			for _, ep := range obj.(*discoveryv1.EndpointSlice).Endpoints {
				ref := ep.TargetRef
				if (ep.Conditions.Ready != nil && !*ep.Conditions.Ready) || ref == nil || ref.Kind != "Pod" {
					continue
				}
				p, ok, _ := pods.GetStore().GetByKey(env.Namespace + "/" + ref.Name)
				if ok && p.(*corev1.Pod).UID == ref.UID && p.(*corev1.Pod).DeletionTimestamp == nil {
					ready[ref.UID] = true
				}
			}
		}
		w.mu.Lock()
		w.cur = len(ready)
		if w.synced {
			w.min = min(w.min, w.cur)
		}
		w.mu.Unlock()
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

// lowest returns the minimum ready count since the watch synced.
func (w *endpointWatch) lowest() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.min
}

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
