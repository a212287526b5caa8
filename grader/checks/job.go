package checks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/labgrade/labgrade/grader/diagnose"
	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runJob) }

// runJob triggers one run of the CronJob, watches it to its end (or the
// deadline) and judges the outcome, the attempts and, with a query, what
// the run changed in the Service it reports to.
func runJob(ctx context.Context, env Env, k *spec.JobCheck) (string, error) {
	progs, err := k.Programs()
	if err != nil {
		return "", err
	}
	ns := env.ns("")
	cj, err := env.Clients.Typed.BatchV1().CronJobs(ns).Get(ctx, k.CronJob, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", Failf("CronJob %s not found in namespace %s: there is nothing to run", k.CronJob, ns)
	case err != nil:
		return "", fmt.Errorf("reading CronJob %s in namespace %s: %v", k.CronJob, ns, err)
	}
	var before any
	if k.Query != nil {
		if before, err = queryService(ctx, env, ns, k.Query, true); err != nil {
			return "", err
		}
	}
	job, err := env.Clients.Typed.BatchV1().Jobs(ns).Create(ctx, manualRun(cj, k.Env), metav1.CreateOptions{FieldManager: "labgrade-grader"})
	switch {
	case apierrors.IsInvalid(err) || apierrors.IsForbidden(err):
		// the template itself is refused (a bad field, the quota on jobs)
		return "", Failf("a Job from CronJob %s's jobTemplate is refused: %v", k.CronJob, err)
	case err != nil:
		return "", fmt.Errorf("creating a Job from CronJob %s: %v", k.CronJob, err)
	}
	start := time.Now()
	run, err := watchRun(ctx, env, job, k)
	if err != nil {
		return "", err
	}
	took := time.Since(start)
	what := fmt.Sprintf("run %s of CronJob %s", job.Name, k.CronJob)
	if k.MaxAttempts > 0 && run.attempts() > k.MaxAttempts {
		return "", Failf("%s ended %s after %d attempts, at most %d expected: it retried%s", what, run.describe(), run.attempts(), k.MaxAttempts, run.podsSay())
	}
	if run.outcome != k.Outcome || (k.Reason != "" && run.reason != k.Reason) {
		want := k.Outcome
		if k.Reason != "" {
			want += " (" + k.Reason + ")"
		}
		return "", Failf("%s ended %s after %d attempt(s), expected %s%s", what, run.describe(), run.attempts(), want, run.podsSay())
	}
	var after any
	if k.Query != nil {
		if after, err = queryService(ctx, env, ns, k.Query, false); err != nil {
			return "", err
		}
	}
	vars := map[string]any{
		"job":    map[string]any{"name": job.Name, "outcome": run.outcome, "reason": run.reason, "attempts": int64(run.attempts()), "seconds": took.Seconds()},
		"before": before, "after": after,
	}
	for _, p := range progs {
		ok, err := p.Eval(vars)
		if err != nil || !ok {
			reason := "is false"
			if err != nil {
				reason = "is not satisfied (" + err.Error() + ")"
			}
			return "", Failf("%s ended %s, but %s %s%s", what, run.describe(), p.Source, reason, queried(k.Query, before, after))
		}
	}
	retried := ""
	if run.attempts() > 1 { // why, from the pods: worth knowing even when the run made it
		retried = run.podsSay()
	}
	return fmt.Sprintf("%s ended %s in %.1fs after %d attempt(s)%s%s", what, run.describe(), took.Seconds(), run.attempts(), retried, queried(k.Query, before, after)), nil
}

// queried says what the run changed in the query's answer, for messages:
// "; GET /models: production 2 → 3, versions 3 → 4 items".
func queried(q *spec.JobQuery, before, after any) string {
	if q == nil {
		return ""
	}
	changed := changes("", before, after)
	if len(changed) == 0 {
		return "; GET " + q.Path + " answers as before the run"
	}
	if len(changed) > 6 {
		changed = append(changed[:6], "...")
	}
	return "; GET " + q.Path + ": " + strings.Join(changed, ", ")
}

// changes lists what differs between two parsed JSON answers: a scalar
// by its path and both values, a list by its length (its items are
// versions, runs, samples: their count says what happened), an object
// field by field.
func changes(at string, before, after any) []string {
	name := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	bm, bok := before.(map[string]any)
	am, aok := after.(map[string]any)
	if bok && aok {
		keys := map[string]bool{}
		for k := range bm {
			keys[k] = true
		}
		for k := range am {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			out = append(out, changes(name(k), bm[k], am[k])...)
		}
		return out
	}
	bl, blok := before.([]any)
	al, alok := after.([]any)
	if blok && alok {
		if len(bl) != len(al) {
			return []string{fmt.Sprintf("%s %d → %d items", cmp.Or(at, "answer"), len(bl), len(al))}
		}
		return nil
	}
	if b, a := compact(before), compact(after); b != a {
		return []string{fmt.Sprintf("%s %s → %s", cmp.Or(at, "answer"), b, a)}
	}
	return nil
}

// manualRun is the Job `kubectl create job --from=cronjob/NAME` makes:
// the jobTemplate, owned by the CronJob (so its history limits and
// concurrency policy count it) and annotated as instantiated by hand;
// env overrides every container's variables of those names.
func manualRun(cj *batchv1.CronJob, env map[string]string) *batchv1.Job {
	annotations := map[string]string{"cronjob.kubernetes.io/instantiate": "manual"}
	for k, v := range cj.Spec.JobTemplate.Annotations {
		annotations[k] = v
	}
	prefix := cj.Name
	if len(prefix) > 40 { // a Job name becomes a label value: at most 63
		prefix = prefix[:40]
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    strings.TrimSuffix(prefix, "-") + diagnose.GraderRunInfix,
			Namespace:       cj.Namespace,
			Labels:          cj.Spec.JobTemplate.Labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))},
		},
		Spec: *cj.Spec.JobTemplate.Spec.DeepCopy(),
	}
	names := make([]string, 0, len(env))
	for name := range env {
		names = append(names, name)
	}
	sort.Strings(names)
	// init containers too: a pipeline's steps are often init containers
	for _, containers := range [][]corev1.Container{job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers} {
		for i := range containers {
			for _, name := range names {
				containers[i].Env = slices.DeleteFunc(containers[i].Env, func(e corev1.EnvVar) bool { return e.Name == name })
				containers[i].Env = append(containers[i].Env, corev1.EnvVar{Name: name, Value: env[name]})
			}
		}
	}
	return job
}

// runState is what the watch saw of a run.
type runState struct {
	job  *batchv1.Job
	pods map[string]*corev1.Pod // every pod the run started, by name, last state seen
	// outcome and reason are the Job's final condition, once it has one
	outcome, reason, message string
}

// attempts is how many pods the run started: those seen, or the Job's
// own count when a pod came and went between two looks.
func (r *runState) attempts() int {
	n := len(r.pods)
	if j := r.job; j != nil {
		n = max(n, int(j.Status.Failed+j.Status.Succeeded+j.Status.Active))
	}
	return n
}

func (r *runState) describe() string {
	s := r.outcome
	if r.reason != "" {
		s += " (" + r.reason
		if r.message != "" {
			s += ": " + r.message
		}
		s += ")"
	}
	return s
}

// jobEndGrace is spec.JobEndGrace; a variable for the tests.
var jobEndGrace = spec.JobEndGrace

// podsEnded reports whether the run has pods and none of them runs any
// more or will.
func (r *runState) podsEnded() bool {
	if len(r.pods) == 0 {
		return false
	}
	for _, p := range r.pods {
		if !podEnded(p) {
			return false
		}
	}
	return true
}

// podEnded reports whether nothing of a pod runs any more or will: the
// kubelet says it ended, or, before it says so, every container has
// terminated, or an init container failed, in a pod that never restarts
// them.
func podEnded(p *corev1.Pod) bool {
	switch {
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return true
	case p.Spec.RestartPolicy != corev1.RestartPolicyNever:
		return false // OnFailure: a terminated container starts again
	}
	sidecars := sidecarsOf(p)
	for _, s := range p.Status.InitContainerStatuses {
		if t := s.State.Terminated; t != nil && t.ExitCode != 0 && !sidecars[s.Name] {
			return true
		}
	}
	if len(p.Status.ContainerStatuses) == 0 || len(p.Status.ContainerStatuses) < len(p.Spec.Containers) {
		return false
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Terminated == nil {
			return false
		}
	}
	return true
}

// podsSay is what the run's pods say of themselves, for messages.
func (r *runState) podsSay() string {
	names := make([]string, 0, len(r.pods))
	for n := range r.pods {
		names = append(names, n)
	}
	sort.Strings(names)
	var says []string
	for _, n := range names {
		if s := podState(r.pods[n]); s != "" {
			says = append(says, "pod "+n+" "+s)
		}
	}
	if len(says) == 0 {
		return ""
	}
	return "; " + strings.Join(says, "; ")
}

// watchRun follows the run's Job and pods until the Job ends, and fails
// the check at once when a pod cannot start or one attempt too many
// begins, and at the deadline when the run has not ended.
func watchRun(ctx context.Context, env Env, job *batchv1.Job, k *spec.JobCheck) (*runState, error) {
	ns := job.Namespace
	jobs := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", job.Name).String()
		})).Batch().V1().Jobs().Informer()
	pods := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = batchv1.ControllerUidLabel + "=" + string(job.UID)
		})).Core().V1().Pods().Informer()
	// the Job's warnings: the quota or Pod Security admission refusing
	// its pods is seen only there, as FailedCreate
	events := informers.NewSharedInformerFactoryWithOptions(env.Clients.Typed, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.AndSelectors(fields.OneTermEqualSelector("involvedObject.name", job.Name),
				fields.OneTermEqualSelector("type", corev1.EventTypeWarning)).String()
		})).Core().V1().Events().Informer()
	// the handler that keeps the Job's state also says it changed: a
	// second handler's signal could come before this one has stored it
	last := &lastJob{changed: make(chan struct{}, 1)}
	if _, err := jobs.AddEventHandler(last); err != nil {
		return nil, err
	}
	podChanged, err := onChange(pods)
	if err != nil {
		return nil, err
	}
	eventSeen, err := onChange(events)
	if err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	defer close(stop)
	go jobs.Run(stop)
	go pods.Run(stop)
	go events.Run(stop)
	if !firstListed(ctx, jobs, pods, events) {
		return nil, fmt.Errorf("watching Job %s in namespace %s did not start in time", job.Name, ns)
	}
	deadline := time.NewTimer(k.Deadline.Duration)
	defer deadline.Stop()
	// after the deadline, a run whose pods have all ended waits for the
	// cluster to mark it ended, up to jobEndGrace (see spec.JobEndGrace)
	var grace <-chan time.Time
	run := &runState{job: job, pods: map[string]*corev1.Pod{}}
	what := fmt.Sprintf("run %s of CronJob %s", job.Name, k.CronJob)
	notEnded := func() error {
		return Failf("%s did not end within %s: %s", what, k.Deadline.Duration, stillGoing(ctx, env, run))
	}
	for {
		latest, deleted := last.get()
		if latest != nil {
			run.job = latest
		}
		for _, obj := range pods.GetStore().List() {
			p := obj.(*corev1.Pod)
			run.pods[p.Name] = p
		}
		for _, c := range run.job.Status.Conditions {
			if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
				run.outcome, run.reason, run.message = string(c.Type), c.Reason, c.Message
				return run, nil
			}
		}
		if deleted {
			return nil, Failf("%s was deleted before it ended%s", what, run.podsSay())
		}
		if k.MaxAttempts > 0 && run.attempts() > k.MaxAttempts {
			return nil, Failf("%s started %d pods, at most %d expected: it retried%s", what, run.attempts(), k.MaxAttempts, run.podsSay())
		}
		for _, p := range run.pods {
			if why := cannotStart(p); why != "" {
				return nil, Failf("%s cannot start: pod %s: %s", what, p.Name, why)
			}
		}
		if why := podsRefused(events.GetStore().List()); why != "" {
			return nil, Failf("%s cannot start: %s", what, why)
		}
		if grace != nil && !run.podsEnded() { // a pod of the run runs again
			return nil, notEnded()
		}
		select {
		case <-last.changed:
		case <-podChanged:
		case <-eventSeen:
		case <-deadline.C:
			if !run.podsEnded() {
				return nil, notEnded()
			}
			grace = time.After(jobEndGrace)
		case <-grace:
			return nil, fmt.Errorf("%s: its pods had ended by its deadline (%s), but the cluster had not marked the run ended %s later%s",
				what, k.Deadline.Duration, jobEndGrace, run.podsSay())
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil, errInterrupted
			}
			return nil, Failf("%s had not ended when the check timed out: %s", what, stillGoing(context.Background(), env, run))
		}
	}
}

// lastJob keeps the last state of the run's Job the watch reported,
// including the state it was deleted in: a CronJob whose history limit is
// small deletes a finished run at once, possibly before the check looks.
type lastJob struct {
	mu      sync.Mutex
	job     *batchv1.Job
	deleted bool
	changed chan struct{}
}

func (l *lastJob) set(obj any, deleted bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	j, ok := obj.(*batchv1.Job)
	l.mu.Lock()
	if ok {
		l.job = j
	}
	l.deleted = l.deleted || deleted
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *lastJob) get() (*batchv1.Job, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.job, l.deleted
}

func (l *lastJob) OnAdd(obj any, _ bool) { l.set(obj, false) }
func (l *lastJob) OnUpdate(_, obj any)   { l.set(obj, false) }
func (l *lastJob) OnDelete(obj any)      { l.set(obj, true) }

// cannotStart says why a pod's container will never start on its own (an
// image the node cannot get, a Secret or key that does not exist), or "".
func cannotStart(p *corev1.Pod) string {
	for _, s := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		if w := s.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError":
				return fmt.Sprintf("container %s: %s: %s", s.Name, w.Reason, w.Message)
			}
		}
	}
	return ""
}

// podsRefused says why the API server refuses the run's pods, from the
// Job's warning events, when no retry of the Job controller can change
// it: the pod asks more than the namespace's quota or LimitRange allows
// at all, or breaks its Pod Security level. A quota merely used up by other pods is
// left to the deadline: it may free up.
func podsRefused(events []any) string {
	for _, obj := range events {
		e, ok := obj.(*corev1.Event)
		if !ok || e.Reason != "FailedCreate" {
			continue
		}
		limitRange := strings.Contains(e.Message, " usage per Container is ") || strings.Contains(e.Message, " usage per Pod is ")
		if limitRange || strings.Contains(e.Message, "violates PodSecurity") || exceedsQuotaOutright(e.Message) {
			return "the Job's pods are refused: " + e.Message
		}
	}
	return ""
}

// exceedsQuotaOutright reports whether a quota refusal is of a pod that
// alone asks more than the quota's limit ("requested: requests.cpu=8,
// used: ..., limited: requests.cpu=4"): no capacity freed by other pods
// can admit it.
func exceedsQuotaOutright(msg string) bool {
	_, rest, ok := strings.Cut(msg, "exceeded quota:")
	if !ok {
		return false
	}
	requested := quotaAmounts(rest, "requested: ")
	limited := quotaAmounts(rest, "limited: ")
	for name, want := range requested {
		if lim, ok := limited[name]; ok && want.Cmp(lim) > 0 {
			return true
		}
	}
	return false
}

// quotaAmounts reads "label: name=qty,name=qty" out of a quota refusal.
func quotaAmounts(msg, label string) map[string]resource.Quantity {
	_, rest, ok := strings.Cut(msg, label)
	if !ok {
		return nil
	}
	if i := strings.Index(rest, ", used: "); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.Index(rest, ", limited: "); i >= 0 {
		rest = rest[:i]
	}
	out := map[string]resource.Quantity{}
	for _, pair := range strings.Split(rest, ",") {
		name, qty, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if q, err := resource.ParseQuantity(qty); ok && err == nil {
			out[name] = q
		}
	}
	return out
}

// podState is how a pod of the run stands, for messages: how its
// containers ended, or why it waits. Init containers come first: until
// they are done the pod's containers only wait (PodInitializing), and the
// init container that failed, waits or still runs is what holds the pod.
func podState(p *corev1.Pod) string {
	sidecars := sidecarsOf(p)
	for _, s := range p.Status.InitContainerStatuses {
		if t := s.State.Terminated; sidecars[s.Name] || (t != nil && t.ExitCode == 0) {
			continue
		}
		if st := containerState("init container", s); st != "" {
			return st
		}
		if s.State.Running != nil {
			return fmt.Sprintf("init container %s still running", s.Name)
		}
	}
	for _, s := range p.Status.ContainerStatuses {
		if st := containerState("container", s); st != "" {
			return st
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return fmt.Sprintf("not scheduled: %s", c.Message)
		}
	}
	if p.Status.Phase == corev1.PodRunning {
		return "still running"
	}
	return ""
}

// sidecarsOf names a pod's sidecars: init containers that restart Always
// and run beside its containers, so their running holds nothing up.
func sidecarsOf(p *corev1.Pod) map[string]bool {
	out := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		out[c.Name] = c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
	}
	return out
}

// containerState is how one container ended, with its termination
// message, or why it waits; "" while it runs.
func containerState(what string, s corev1.ContainerStatus) string {
	if t := s.State.Terminated; t != nil {
		said := ""
		if m := strings.TrimSpace(t.Message); m != "" { // the container's termination message
			said = ": " + strings.ReplaceAll(m, "\n", " ")
			if len(said) > 300 {
				said = said[:297] + "..."
			}
		}
		return fmt.Sprintf("%s %s exited with code %d (%s)%s", what, s.Name, t.ExitCode, t.Reason, said)
	}
	if w := s.State.Waiting; w != nil && w.Reason != "" {
		return strings.TrimSpace(fmt.Sprintf("%s %s waiting: %s %s", what, s.Name, w.Reason, w.Message))
	}
	return ""
}

// stillGoing says why a run has not ended: its pods' state, or, when it
// has none, the Job's warning events (the quota refusing its pods).
func stillGoing(ctx context.Context, env Env, run *runState) string {
	if len(run.pods) > 0 {
		return strings.TrimPrefix(run.podsSay(), "; ") + " (is there a deadline on the run?)"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	events, err := env.Clients.Typed.CoreV1().Events(run.job.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.AndSelectors(fields.OneTermEqualSelector("involvedObject.name", run.job.Name),
			fields.OneTermEqualSelector("type", corev1.EventTypeWarning)).String(),
	})
	if err == nil && len(events.Items) > 0 {
		last := events.Items[len(events.Items)-1]
		return fmt.Sprintf("no pod was created: %s: %s", last.Reason, last.Message)
	}
	return "no pod was created"
}

// queryService GETs the query's path through the API server's service
// proxy and parses the JSON answer. Before the run it waits, retrying
// each second, for the Service to answer (a scenario's Deployment may
// still be starting); after it, one try. A Service that does not answer
// 200 with JSON is the learner's failure: only their workload reaches it.
func queryService(ctx context.Context, env Env, ns string, q *spec.JobQuery, wait bool) (any, error) {
	u := serviceProxyURL(env, ns, q.Service+":"+q.Port.String(), q.Path)
	what := fmt.Sprintf("GET %s on service %s/%s:%s", q.Path, ns, q.Service, q.Port.String())
	waitUntil := time.Now().Add(30 * time.Second)
	for {
		got, err := getJSON(ctx, env, u, what)
		if err == nil || !wait || time.Now().After(waitUntil) {
			return got, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

func getJSON(ctx context.Context, env Env, u, what string) (any, error) {
	status, body, _, err := proxyCall(ctx, env, http.MethodGet, u, "")
	switch {
	case err != nil && status != 0:
		return nil, Failf("%s: %v", what, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %v", what, err)
	case status != http.StatusOK:
		return nil, Failf("%s: status %d, expected 200%s", what, status, snippet(body))
	}
	var parsed any
	if err := json.Unmarshal(body, &parsed); err != nil {
		return nil, Failf("%s: the answer is not JSON%s", what, snippet(body))
	}
	return parsed, nil
}

// compact is a JSON value in one short line, for messages.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:197]) + "..."
	}
	return string(b)
}
