package checks

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/labgrade/labgrade/grader/diagnose"
	"github.com/labgrade/labgrade/grader/drift"
	"github.com/labgrade/labgrade/grader/spec"
	"github.com/labgrade/labgrade/grader/traffic"
)

// monitorPod reads a running drift monitor through the API server's pod
// proxy.
type monitorPod struct {
	env  Env
	name string
	port string
}

func (m monitorPod) get(ctx context.Context, path string, into any) error {
	raw, err := m.env.Clients.Typed.CoreV1().Pods(m.env.Namespace).ProxyGet("http", m.name, m.port, path, nil).DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("GET %s on pod %s: %w", path, m.name, err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("GET %s on pod %s: not the monitor's JSON: %v", path, m.name, err)
	}
	return nil
}

func (m monitorPod) status(ctx context.Context) (drift.MonitorStatus, error) {
	var st drift.MonitorStatus
	return st, m.get(ctx, "/status", &st)
}

// runDriftBehaviour runs the two traffic phases of a drift check.
func runDriftBehaviour(ctx context.Context, env Env, d *spec.DriftCheck, s *monitorSetup) (string, error) {
	b := d.Behaviour
	ref, err := drift.ReadCSV(filepath.Join(env.LabDir, d.Reference))
	if err != nil {
		return "", fmt.Errorf("the lab's reference data: %v", err)
	}
	mon, err := readyMonitor(ctx, env, s.deploy, d.Port, b.MonitorImage, b.Deadline.Duration)
	if err != nil {
		return "", err
	}
	cfg := s.config
	need := max(cfg.Window.Size, cfg.MinSamples)

	// Phase one: rows drawn from the reference, for a full window.
	base, err := runPhase(ctx, env, mon, b, need, nil)
	if err != nil {
		return "", err
	}
	if flagged := flaggedOf(base.status); len(flagged) > 0 {
		return "", Failf("with traffic drawn from the reference data the monitor flagged %s: false alarms (%s)", strings.Join(flagged, ", "), describeFlags(base.status, flagged))
	}
	if err := agree(cfg, ref, base, b.Tolerance); err != nil {
		return "", err
	}
	if err := fromGrader(base.window, base.sent); err != nil {
		return "", err
	}

	// Phase two: the named features drift.
	var args, want []string
	for _, f := range b.Drift {
		args = append(args, "-shift", f.Feature+"="+strconv.FormatFloat(f.Shift, 'g', -1, 64),
			"-scale", f.Feature+"="+strconv.FormatFloat(f.Scale, 'g', -1, 64))
		want = append(want, f.Feature)
	}
	sort.Strings(want)
	start := time.Now()
	drifted, err := runPhase(ctx, env, mon, b, need, want, args...)
	if err != nil {
		return "", err
	}
	if got := flaggedOf(drifted.status); !slices.Equal(got, want) {
		return "", Failf("after %s of traffic with %s drifted the monitor flagged [%s], want exactly [%s] (%s)",
			drifted.took.Round(time.Second), strings.Join(want, ", "), strings.Join(got, ", "), strings.Join(want, ", "), describeFlags(drifted.status, union(got, want)))
	}
	if err := agree(cfg, ref, drifted, b.Tolerance); err != nil {
		return "", err
	}
	if err := fromGrader(drifted.window, base.sent, drifted.sent); err != nil {
		return "", err
	}
	if err := alertDelivered(ctx, env, cfg, mon, b.MonitorImage != "", want, start, base.status); err != nil {
		return "", err
	}
	return fmt.Sprintf("no false alarm over %d reference samples; flagged %s after %s; statistics agree with the grader's",
		base.status.Samples, strings.Join(want, ", "), drifted.took.Round(time.Second)), nil
}

// readyMonitor waits for the monitor Deployment to have a ready replica and
// returns a ready pod of it; a monitor that stays unready fails with its
// own reason. With image set, only a pod the Deployment controls (through
// its ReplicaSet) and that runs image counts: the learner may label any
// pod like the monitor's, and only the lab's image is known to report
// what it computed.
func readyMonitor(ctx context.Context, env Env, dep *appsv1.Deployment, port int, image string, within time.Duration) (monitorPod, error) {
	mon := monitorPod{env: env, port: strconv.Itoa(port)}
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return mon, Failf("Deployment %s has an invalid selector: %v", dep.Name, err)
	}
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	waitDeployment(wctx, env, dep.Name, func(d *appsv1.Deployment) bool { return d.Status.ReadyReplicas >= 1 })
	pods, err := env.Clients.Typed.CoreV1().Pods(env.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return mon, fmt.Errorf("listing the drift monitor's pods: %v", err)
	}
	var refused []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || !diagnose.PodReady(&p) {
			continue
		}
		if image != "" {
			if why := notTheMonitor(ctx, env, dep, &p, image); why != "" {
				refused = append(refused, why)
				continue
			}
		}
		mon.name = p.Name
		return mon, nil
	}
	if len(refused) > 0 {
		return mon, Failf("no ready pod of the drift monitor (Deployment %s) is one the grader can believe: %s", dep.Name, strings.Join(refused, "; "))
	}
	why := "no pod"
	if len(pods.Items) > 0 {
		mon.name = pods.Items[0].Name
		why = "pod " + mon.name + " is not ready"
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if st, err := mon.status(sctx); err == nil && st.ConfigError != "" {
			why += ": " + st.ConfigError
		}
	}
	return mon, Failf("the drift monitor (Deployment %s) has no ready pod after %s: %s", dep.Name, within, why)
}

// notTheMonitor says why pod p is not the lab's monitor ("" when it is):
// it must run image and be controlled by a ReplicaSet that dep controls.
func notTheMonitor(ctx context.Context, env Env, dep *appsv1.Deployment, p *corev1.Pod, image string) string {
	runs := false
	for _, c := range p.Spec.Containers {
		runs = runs || c.Image == image
	}
	if !runs {
		return fmt.Sprintf("pod %s does not run the lab's monitor image %s", p.Name, image)
	}
	owner := metav1.GetControllerOf(p)
	if owner == nil || owner.Kind != "ReplicaSet" {
		return fmt.Sprintf("pod %s is not created by Deployment %s", p.Name, dep.Name)
	}
	rs, err := env.Clients.Typed.AppsV1().ReplicaSets(env.Namespace).Get(ctx, owner.Name, metav1.GetOptions{})
	if err != nil || rs.UID != owner.UID {
		return fmt.Sprintf("pod %s is not created by Deployment %s (its ReplicaSet %s cannot be read)", p.Name, dep.Name, owner.Name)
	}
	if o := metav1.GetControllerOf(rs); o == nil || o.UID != dep.UID {
		return fmt.Sprintf("pod %s is not created by Deployment %s", p.Name, dep.Name)
	}
	return ""
}

// phase is what one traffic phase left: the monitor's window and the
// status it evaluated on exactly that window.
type phase struct {
	status drift.MonitorStatus
	window map[string][]any
	took   time.Duration
	// sent are the rows the grader's load generator sent
	sent traffic.Rows
}

// runPhase sends traffic (drifted by args) until the monitor has seen need
// new samples and, when want is given, flags exactly want, or the deadline
// passes; then it stops the traffic, waits for an evaluation of the final
// window and reads that window and status.
func runPhase(ctx context.Context, env Env, mon monitorPod, b *spec.DriftBehaviour, need int, want []string, args ...string) (*phase, error) {
	lg, err := startTraffic(ctx, env, b.Traffic, args...)
	if err != nil {
		return nil, err
	}
	defer lg.delete()
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, b.Deadline.Duration)
	defer cancel()
	var st drift.MonitorStatus
	var statusErr error
	for {
		sum, _ := lg.summary(pctx)
		st, statusErr = mon.status(pctx)
		enough := statusErr == nil && st.Samples >= need && sum.OK >= need &&
			st.EvaluatedAt != nil && st.EvaluatedAt.After(start)
		if enough && (want == nil || slices.Equal(flaggedOf(st), want)) {
			break
		}
		// Ten seconds of answered predictions and not one sample: nothing
		// reaches the monitor, and waiting out the deadline changes nothing.
		if statusErr == nil && st.Samples == 0 && sum.OK >= need && time.Since(start) > 10*time.Second {
			break
		}
		if sleepCtx(pctx, 500*time.Millisecond); pctx.Err() != nil {
			break
		}
	}
	sum, err := lg.stop(ctx)
	took := time.Since(start)
	if err != nil {
		return nil, err
	}
	sent, err := lg.rows(ctx)
	if err != nil {
		return nil, err
	}
	if statusErr != nil && ctx.Err() == nil {
		return nil, Failf("the drift monitor does not answer: %v", statusErr)
	}
	if sum.OK == 0 {
		return nil, Failf("no prediction succeeded while feeding the monitor: %s", sum)
	}
	if want == nil && st.Samples < need {
		if st.Samples == 0 {
			return nil, Failf("the drift monitor received no samples while the model server answered %d predictions: are the model server's inference logs (INFERENCE_LOG_URL) sent to the monitor?", sum.OK)
		}
		return nil, Failf("the drift monitor's window held %d samples after %d predictions in %s; it needs %d", st.Samples, sum.OK, took.Round(time.Second), need)
	}
	p, err := settleMonitor(ctx, mon, time.Now())
	if err != nil {
		return nil, Failf("reading the monitor after the traffic stopped: %v", err)
	}
	p.took, p.sent = took, sent
	return p, nil
}

// settleMonitor waits until the monitor has evaluated a window that no longer
// changes (the last inference logs arrive asynchronously, so a second's
// grace), then reads the window and a status computed on it.
func settleMonitor(ctx context.Context, mon monitorPod, stopped time.Time) (*phase, error) {
	grace := stopped.Add(time.Second)
	if sleepCtx(ctx, time.Until(grace)); ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var lastErr error
	for attempt := 0; attempt < 60; attempt++ {
		st, err := mon.status(ctx)
		if err == nil && st.EvaluatedAt != nil && st.EvaluatedAt.After(grace) {
			var window map[string][]any
			if err = mon.get(ctx, "/window", &window); err == nil {
				again, err2 := mon.status(ctx)
				if err2 == nil && again.EvaluatedAt != nil && again.EvaluatedAt.Equal(*st.EvaluatedAt) && windowSize(window) == st.Samples {
					return &phase{status: st, window: window}, nil
				}
				err = err2
			}
		}
		if err != nil {
			lastErr = err
		}
		if sleepCtx(ctx, 500*time.Millisecond); ctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("no evaluation of a stable window within 30s (is the interval that long?)")
	}
	return nil, lastErr
}

// windowSize is the number of samples in a window: its longest column.
func windowSize(w map[string][]any) int {
	n := 0
	for _, v := range w {
		n = max(n, len(v))
	}
	return n
}

// agree recomputes every feature's statistic from the monitor's window
// against the lab's reference and compares it with the monitor's status.
func agree(cfg *drift.MonitorConfig, ref *drift.Table, p *phase, tol float64) error {
	byName := map[string]drift.FeatureStatus{}
	for _, f := range p.status.Features {
		byName[f.Name] = f
	}
	for _, f := range cfg.Features {
		t, _ := cfg.TestFor(f)
		fs, ok := byName[f.Name]
		if !ok {
			return Failf("the monitor's status has no entry for feature %s", f.Name)
		}
		rc, ok := ref.Column(f.Name)
		if !ok {
			return fmt.Errorf("the lab's reference %s has no column %s", ref.File, f.Name)
		}
		mine, err := drift.CompareColumn(rc, drift.ColumnOf(f.Name, p.window[f.Name]), drift.Options{Test: t.Test, Threshold: t.Threshold, Bins: t.Bins})
		if err != nil {
			return Failf("feature %s: the monitor's window cannot be tested: %v", f.Name, err)
		}
		if fs.Statistic == nil {
			return Failf("the monitor computed no statistic for feature %s over %d samples: %s", f.Name, fs.Samples, fs.Note)
		}
		if !closeRel(*fs.Statistic, mine.Statistic, tol) {
			return Failf("feature %s: the monitor reports %s statistic %.6g, but its own window against the lab's reference gives %.6g: its status does not come from its data (or it compares against other reference data)",
				f.Name, fs.Test, *fs.Statistic, mine.Statistic)
		}
		if mine.PValue != nil && (fs.PValue == nil || math.Abs(*fs.PValue-*mine.PValue) > tol) {
			return Failf("feature %s: the monitor's p-value disagrees with its window (grader: %.6g)", f.Name, *mine.PValue)
		}
		if fs.Drift != mine.Drift {
			return Failf("feature %s: the monitor says drift=%t, but its statistic and threshold say %t", f.Name, fs.Drift, mine.Drift)
		}
	}
	return nil
}

// closeRel compares within a relative tolerance (absolute near zero).
func closeRel(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// alertDelivered requires the alert for each drifted feature: an Event on
// the configured object created since the drift began, or webhook
// deliveries the monitor counted.
//
// An Event counts only when the API server created it during the drift
// phase (its creationTimestamp, which no client sets: an Event dated 2099
// by its author is as old as its creation) and, when attributed, when it
// names the monitor's pod as its reporting instance.
func alertDelivered(ctx context.Context, env Env, cfg *drift.MonitorConfig, mon monitorPod, attributed bool, features []string, since time.Time, before drift.MonitorStatus) error {
	if e := cfg.Alerts.Event; e != nil {
		var missing []string
		for range 20 { // alerts follow the evaluation that flags; allow a few seconds
			evs, err := env.Clients.Typed.CoreV1().Events(env.Namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("listing Events: %v", err)
			}
			missing = missing[:0]
			for _, f := range features {
				if !slices.ContainsFunc(evs.Items, func(ev corev1.Event) bool {
					return ev.Reason == "DataDrift" && ev.InvolvedObject.Name == e.Name && strings.EqualFold(ev.InvolvedObject.Kind, e.Kind) &&
						!ev.CreationTimestamp.Time.Before(since.Add(-2*time.Second)) && strings.Contains(ev.Message, "feature "+f+" ") &&
						(!attributed || ev.ReportingInstance == mon.name)
				}) {
					missing = append(missing, f)
				}
			}
			if len(missing) == 0 {
				return nil
			}
			sleepCtx(ctx, 500*time.Millisecond)
		}
		why := ""
		if st, err := mon.status(ctx); err == nil && st.Alerts["event"].LastError != "" {
			why = ": the monitor's last alert failed with " + st.Alerts["event"].LastError
		}
		return Failf("no DataDrift Event on %s %s for %s%s", e.Kind, e.Name, strings.Join(missing, ", "), why)
	}
	st, err := mon.status(ctx)
	if err != nil {
		return Failf("the drift monitor does not answer: %v", err)
	}
	hook := st.Alerts["webhook"]
	if hook.Sent-before.Alerts["webhook"].Sent < len(features) {
		return Failf("the monitor delivered %d webhook alerts for %d drifted features (last error: %s)", hook.Sent-before.Alerts["webhook"].Sent, len(features), cmp.Or(hook.LastError, "none"))
	}
	return nil
}

// fromGrader requires a monitor's window to hold the rows the grader sent:
// every column's values must be among those the load generator sent in
// this check's phases (a few foreign ones are allowed: other checks'
// requests, such as the predict check's). A window that does not is not
// the monitor's view of the grader's traffic, and its statistics prove
// nothing, however consistent with each other.
func fromGrader(window map[string][]any, phases ...traffic.Rows) error {
	for name, col := range window {
		sent := map[float64]int{}
		for _, ph := range phases {
			i := slices.Index(ph.Features, name)
			if i < 0 {
				continue
			}
			for _, r := range ph.Rows {
				if i < len(r) {
					sent[r[i]]++
				}
			}
		}
		foreign := 0
		for _, v := range col {
			f, ok := v.(float64)
			if ok && sent[f] > 0 {
				sent[f]--
				continue
			}
			foreign++
		}
		if allowed := 2 + len(col)/50; foreign > allowed {
			return Failf("the monitor's window holds %d values of feature %s (of %d) that the grader never sent: its window is not the traffic the model server was given", foreign, name, len(col))
		}
	}
	return nil
}

// flaggedOf lists the features a status flags, sorted.
func flaggedOf(st drift.MonitorStatus) []string {
	var out []string
	for _, f := range st.Features {
		if f.Drift {
			out = append(out, f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// describeFlags says, for the named features, the statistic behind each
// verdict.
func describeFlags(st drift.MonitorStatus, names []string) string {
	var parts []string
	for _, f := range st.Features {
		if !slices.Contains(names, f.Name) {
			continue
		}
		switch {
		case f.PValue != nil:
			parts = append(parts, fmt.Sprintf("%s: %s p=%.3g vs threshold %g", f.Name, f.Test, *f.PValue, f.Threshold))
		case f.Statistic != nil:
			parts = append(parts, fmt.Sprintf("%s: %s %.3g vs threshold %g", f.Name, f.Test, *f.Statistic, f.Threshold))
		default:
			parts = append(parts, fmt.Sprintf("%s: not tested (%s)", f.Name, f.Note))
		}
	}
	return strings.Join(parts, "; ")
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
