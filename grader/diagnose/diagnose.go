// Package diagnose gathers what a person would look at after a failed
// check: the object as the API server has it (no managedFields), the
// Events about it and its pods, and the pods that are not ready with their
// containers' states and last log lines. It never changes the cluster.
package diagnose

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/result"
)

// logLines is how many log lines of each unready container are kept.
const logLines = 10

// Collect diagnoses one object. It returns nil when there is nothing to
// say (the object cannot be read and nothing refers to it).
func Collect(ctx context.Context, c *cluster.Clients, ns, apiVersion, kind, name string) *result.Diagnostics {
	d := &result.Diagnostics{}
	obj := get(ctx, c, ns, apiVersion, kind, name)
	if obj != nil {
		unstructured.RemoveNestedField(obj.Object, "metadata", "managedFields")
		d.Object = obj.Object
	}
	d.Events = events(ctx, c, ns, kind, name)
	if obj != nil {
		d.Pods = unreadyPods(ctx, c, ns, podSelector(obj))
	}
	for _, p := range d.Pods {
		d.Events = append(d.Events, events(ctx, c, ns, "Pod", p.Name)...)
	}
	if obj != nil && kind == "Deployment" {
		// a Deployment's pods are made by its ReplicaSets: when none can
		// be (no ServiceAccount yet, Pod Security, the quota), only the
		// ReplicaSet's events say why
		for _, rs := range replicaSetsOf(ctx, c, ns, obj.GetUID()) {
			d.Events = append(d.Events, events(ctx, c, ns, "ReplicaSet", rs)...)
		}
	}
	d.Summary = summarize(kind, name, obj, d)
	if obj == nil && len(d.Events) == 0 {
		return nil
	}
	return d
}

func get(ctx context.Context, c *cluster.Clients, ns, apiVersion, kind, name string) *unstructured.Unstructured {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || c.Mapper == nil {
		return nil
	}
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: kind}, gv.Version)
	if err != nil {
		return nil
	}
	ri := c.Dynamic.Resource(m.Resource)
	var obj *unstructured.Unstructured
	if m.Scope.Name() == "namespace" {
		obj, err = ri.Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	} else {
		obj, err = ri.Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return nil
	}
	return obj
}

// podSelector is the label selector of the pods an object runs or routes
// to, or nil.
func podSelector(obj *unstructured.Unstructured) labels.Selector {
	var m map[string]string
	switch obj.GetKind() {
	case "Service":
		m, _, _ = unstructured.NestedStringMap(obj.Object, "spec", "selector")
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		m, _, _ = unstructured.NestedStringMap(obj.Object, "spec", "selector", "matchLabels")
	default:
		return nil
	}
	if len(m) == 0 {
		return nil
	}
	return labels.SelectorFromSet(m)
}

// replicaSetsOf names the ReplicaSets a Deployment owns.
func replicaSetsOf(ctx context.Context, c *cluster.Clients, ns string, owner types.UID) []string {
	list, err := c.Typed.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, rs := range list.Items {
		for _, ref := range rs.OwnerReferences {
			if ref.UID == owner && ref.Kind == "Deployment" {
				out = append(out, rs.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// events lists the Events about one object, oldest first, as
// "Type Reason: message (xN)".
func events(ctx context.Context, c *cluster.Clients, ns, kind, name string) []string {
	sel := fields.Set{"involvedObject.name": name, "involvedObject.kind": kind}.AsSelector().String()
	list, err := c.Typed.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil
	}
	items := list.Items
	sort.SliceStable(items, func(i, j int) bool { return EventTime(items[i]).Before(EventTime(items[j])) })
	var out []string
	for _, e := range items {
		if ranByGrader(e) {
			continue
		}
		line := fmt.Sprintf("%s/%s %s %s: %s", kind, name, e.Type, e.Reason, strings.TrimSpace(e.Message))
		if e.Count > 1 {
			line += fmt.Sprintf(" (x%d)", e.Count)
		}
		out = append(out, line)
	}
	return out
}

// GraderRunInfix is in the name of every Job the grader runs from a
// CronJob (the job check's runs: CRONJOB-labgrade-xxxxx).
const GraderRunInfix = "-labgrade-"

// ranByGrader reports the CronJob controller's warning about a Job it did
// not create: it says so of every manual run (kubectl create job --from
// too), the job check's included. It tells the learner nothing about
// their CronJob.
func ranByGrader(e corev1.Event) bool {
	return e.InvolvedObject.Kind == "CronJob" && e.Reason == "UnexpectedJob" && strings.Contains(e.Message, GraderRunInfix)
}

// EventTime is when an Event last happened: its lastTimestamp, else its
// eventTime (events.k8s.io writers), else its creation.
func EventTime(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	if !e.EventTime.IsZero() {
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// unreadyPods describes the selected pods that are not ready.
func unreadyPods(ctx context.Context, c *cluster.Clients, ns string, sel labels.Selector) []result.PodDiagnosis {
	if sel == nil {
		return nil
	}
	pods, err := c.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil
	}
	var out []result.PodDiagnosis
	now := time.Now()
	for _, p := range pods.Items {
		if PodReady(&p) {
			continue
		}
		pd := result.PodDiagnosis{Name: p.Name, Phase: string(p.Status.Phase)}
		for _, cond := range p.Status.Conditions {
			if cond.Status != corev1.ConditionTrue {
				pd.Conditions = append(pd.Conditions, strings.TrimSpace(fmt.Sprintf("%s=%s %s %s", cond.Type, cond.Status, cond.Reason, cond.Message)))
			}
		}
		for _, cs := range p.Status.ContainerStatuses {
			cd := result.ContainerDiagnosis{Name: cs.Name, State: state(cs, now), Restarts: cs.RestartCount}
			if !cs.Ready {
				cd.LastLogs = lastLogs(ctx, c, ns, p.Name, cs)
			}
			pd.Containers = append(pd.Containers, cd)
		}
		out = append(out, pd)
	}
	return out
}

// PodReady reports whether a pod's Ready condition is true.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// state is a container's state in a few words. A running container that
// is not ready says since when it runs: one that started a second ago is
// starting, one that has run for a minute fails its probe.
func state(cs corev1.ContainerStatus, now time.Time) string {
	switch s := cs.State; {
	case s.Waiting != nil:
		return strings.TrimSpace("waiting: " + s.Waiting.Reason + " " + s.Waiting.Message)
	case s.Terminated != nil:
		return fmt.Sprintf("terminated: %s (exit %d)", s.Terminated.Reason, s.Terminated.ExitCode)
	case s.Running != nil && !cs.Ready && !s.Running.StartedAt.IsZero():
		return fmt.Sprintf("running for %s, not ready", now.Sub(s.Running.StartedAt.Time).Round(time.Second))
	case s.Running != nil && !cs.Ready:
		return "running, not ready"
	case s.Running != nil:
		return "running"
	}
	return "unknown"
}

// lastLogs are the container's last lines; after a restart, those of the
// run that ended.
func lastLogs(ctx context.Context, c *cluster.Clients, ns, pod string, cs corev1.ContainerStatus) []string {
	tail := int64(logLines)
	opts := &corev1.PodLogOptions{Container: cs.Name, TailLines: &tail, Previous: cs.RestartCount > 0 && cs.State.Running == nil}
	raw, err := c.Typed.CoreV1().Pods(ns).GetLogs(pod, opts).DoRaw(ctx)
	if err != nil {
		return nil
	}
	text := strings.TrimRight(string(raw), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// summarize is one line: the first unready container, else a workload's
// ready replicas, else the latest warning event.
func summarize(kind, name string, obj *unstructured.Unstructured, d *result.Diagnostics) string {
	for _, p := range d.Pods {
		for _, c := range p.Containers {
			if c.State != "running" {
				s := fmt.Sprintf("pod %s: container %s %s", p.Name, c.Name, c.State)
				if c.Restarts > 0 {
					s += fmt.Sprintf(", %d restarts", c.Restarts)
				}
				// a container that runs but is not ready: its probe's last
				// failure says whether the server said no or never answered
				if probe := lastEvent(d.Events, func(e string) bool {
					return strings.HasPrefix(e, "Pod/"+p.Name+" Warning Unhealthy: ")
				}); probe != "" {
					s += "; " + probe
				}
				return s
			}
		}
		if len(p.Conditions) > 0 {
			return fmt.Sprintf("pod %s: %s", p.Name, p.Conditions[0])
		}
	}
	if obj == nil {
		return fmt.Sprintf("%s %s does not exist", kind, name)
	}
	// a workload's own count says more than an event about something
	// else, unless it has no pod and its ReplicaSet says why
	if r, found, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas"); found {
		ready, _, _ := unstructured.NestedInt64(obj.Object, "status", "readyReplicas")
		s := fmt.Sprintf("%s %s: %d of %d replicas ready", kind, name, ready, r)
		refused := lastEvent(d.Events, func(e string) bool {
			return strings.HasPrefix(e, "ReplicaSet/") && strings.Contains(e, " Warning FailedCreate: ")
		})
		if len(d.Pods) == 0 && ready < r && refused != "" {
			return s + "; " + refused
		}
		return s
	}
	// "" when none: the object as it is (in the diagnostics) says it better
	return lastEvent(d.Events, func(e string) bool { return strings.Contains(e, " Warning ") })
}

// lastEvent is the newest of events (oldest first) that is, or "", cut
// to summaryEventLen: an event's message may come from the learner (an
// exec probe's output, a refused object's name) and the summary is one
// line of a scorecard. Diagnostics.Events keeps it whole.
func lastEvent(events []string, is func(string) bool) string {
	for i := len(events) - 1; i >= 0; i-- {
		if is(events[i]) {
			if e := events[i]; len(e) > summaryEventLen {
				return strings.ToValidUTF8(e[:summaryEventLen-3], "") + "..."
			}
			return events[i]
		}
	}
	return ""
}

// summaryEventLen is the most of an event a summary shows.
const summaryEventLen = 400
