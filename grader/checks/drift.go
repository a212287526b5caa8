package checks

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/labgrade/labgrade/grader/drift"
	"github.com/labgrade/labgrade/grader/spec"
)

// defaultMonitorConfig is where the drift monitor reads its config when its
// -config flag is not given.
const defaultMonitorConfig = "/etc/drift-monitor/config.yaml"

// monitorSetup is what the static part of a drift check found.
type monitorSetup struct {
	deploy *appsv1.Deployment
	config *drift.MonitorConfig
	// source says where the config came from, for messages.
	source string
}

func init() { register(runDrift) }

// runDrift judges the monitor's config and, with behaviour, the monitor
// itself (drift_behaviour.go).
func runDrift(ctx context.Context, env Env, d *spec.DriftCheck) (string, error) {
	setup, err := inspectMonitor(ctx, env, d)
	if err != nil {
		return "", err
	}
	problems, err := judgeMonitorConfig(ctx, env, d, setup)
	if err != nil {
		return "", err
	}
	if len(problems) > 0 {
		return "", Failf("%s: %s", setup.source, strings.Join(problems, "; "))
	}
	if d.Behaviour == nil {
		return fmt.Sprintf("%s watches %d features", setup.source, len(setup.config.Features)), nil
	}
	return runDriftBehaviour(ctx, env, d, setup)
}

// inspectMonitor finds the monitor's Deployment and reads its config from
// the ConfigMap the Deployment mounts at the config path.
func inspectMonitor(ctx context.Context, env Env, d *spec.DriftCheck) (*monitorSetup, error) {
	ns := env.Namespace
	dep, err := env.Clients.Typed.AppsV1().Deployments(ns).Get(ctx, d.Monitor, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, Failf("no Deployment %s/%s: the drift monitor is not deployed", ns, d.Monitor)
	}
	if err != nil {
		return nil, fmt.Errorf("reading Deployment %s/%s: %v", ns, d.Monitor, err)
	}
	cmName, key, err := configSource(dep)
	if err != nil {
		return nil, Failf("Deployment %s: %v", d.Monitor, err)
	}
	source := fmt.Sprintf("ConfigMap %s key %s", cmName, key)
	cm, err := env.Clients.Typed.CoreV1().ConfigMaps(ns).Get(ctx, cmName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, Failf("Deployment %s mounts its config from ConfigMap %s, which does not exist", d.Monitor, cmName)
	}
	if err != nil {
		return nil, fmt.Errorf("reading ConfigMap %s/%s: %v", ns, cmName, err)
	}
	text, ok := cm.Data[key]
	if !ok {
		return nil, Failf("%s: the key is missing, so the monitor has no config", source)
	}
	cfg, err := drift.ParseMonitorConfig(source, []byte(text))
	if err != nil {
		return nil, Failf("the monitor refuses its config: %v", err)
	}
	return &monitorSetup{deploy: dep, config: cfg, source: source}, nil
}

// configSource follows the monitor container's -config path to the
// ConfigMap volume and key that provide it.
func configSource(dep *appsv1.Deployment) (configMap, key string, err error) {
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) == 0 {
		return "", "", fmt.Errorf("no containers")
	}
	c, file := pod.Containers[0], defaultMonitorConfig
	for _, cand := range pod.Containers {
		if f, ok := configFlag(append(slices.Clone(cand.Command), cand.Args...)); ok {
			c, file = cand, f
			break
		}
	}
	var mount *corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		within := m.MountPath == file || (m.SubPath == "" && strings.HasPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/"))
		if within && (mount == nil || len(m.MountPath) > len(mount.MountPath)) {
			mount = &c.VolumeMounts[i]
		}
	}
	if mount == nil {
		return "", "", fmt.Errorf("container %s reads its config from %s, but no volume is mounted there", c.Name, file)
	}
	var vol *corev1.Volume
	for i, v := range pod.Volumes {
		if v.Name == mount.Name {
			vol = &pod.Volumes[i]
		}
	}
	if vol == nil || vol.ConfigMap == nil {
		return "", "", fmt.Errorf("the config at %s should come from a ConfigMap volume; volume %q is not one", file, mount.Name)
	}
	switch {
	case mount.SubPath != "":
		key = mount.SubPath
	default:
		key = strings.TrimPrefix(file, strings.TrimSuffix(mount.MountPath, "/")+"/")
	}
	if items := vol.ConfigMap.Items; len(items) > 0 {
		mapped := ""
		for _, it := range items {
			if path.Clean(it.Path) == key {
				mapped = it.Key
			}
		}
		if mapped == "" {
			return "", "", fmt.Errorf("volume %q projects no item to %s, where the monitor reads its config", mount.Name, file)
		}
		key = mapped
	}
	return vol.ConfigMap.Name, key, nil
}

// configFlag finds the value of -config/--config in a command line.
func configFlag(argv []string) (string, bool) {
	for i, a := range argv {
		for _, f := range []string{"-config", "--config"} {
			if a == f && i+1 < len(argv) {
				return argv[i+1], true
			}
			if v, ok := strings.CutPrefix(a, f+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

// judgeMonitorConfig holds a valid config to the lab's rules; it returns
// every problem found. An error is the grader's: it could not ask.
func judgeMonitorConfig(ctx context.Context, env Env, d *spec.DriftCheck, s *monitorSetup) ([]string, error) {
	cfg := s.config
	var problems []string
	add := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }

	want := map[string]string{}
	for _, f := range d.Features {
		want[f.Name] = f.Type
	}
	have := map[string]bool{}
	badThreshold := map[string][]string{}
	var thresholdOrder []string
	for _, f := range cfg.Features {
		have[f.Name] = true
		wantType, ok := want[f.Name]
		switch {
		case !ok:
			add("feature %s is not an input of the model", f.Name)
			continue
		case f.Type != wantType:
			add("feature %s is %s, not %s", f.Name, wantType, f.Type)
			continue
		}
		t, _ := cfg.TestFor(f)
		if ok := d.Rules.Tests[f.Type]; !slices.Contains(ok, t.Test) {
			add("feature %s: %s is not a test this lab accepts for %s features (use %s)", f.Name, t.Test, f.Type, strings.Join(ok, " or "))
			continue
		}
		if r, ok := d.Rules.Thresholds[t.Test]; ok && (t.Threshold < r.Min || t.Threshold > r.Max) {
			key := fmt.Sprintf("%s threshold %g is outside the accepted range [%g, %g]", t.Test, t.Threshold, r.Min, r.Max)
			if drift.UsesPValue(t.Test) {
				key += " (a p-value below it flags drift)"
			} else {
				key += " (a distance above it flags drift)"
			}
			if _, seen := badThreshold[key]; !seen {
				thresholdOrder = append(thresholdOrder, key)
			}
			badThreshold[key] = append(badThreshold[key], f.Name)
		}
	}
	// one line per wrong threshold, not per feature: a type-wide test is
	// usually wrong for all its features at once
	for _, key := range thresholdOrder {
		add("%s for %s", key, strings.Join(badThreshold[key], ", "))
	}
	var missing []string
	for _, f := range d.Features {
		if !have[f.Name] {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		add("feature(s) %s of the model are not monitored", strings.Join(missing, ", "))
	}
	if n := d.Rules.MinWindow; n > 0 {
		switch {
		case cfg.Window.Size == 0:
			add("window has no size; bound it to at least %d samples", n)
		case cfg.Window.Size < n:
			add("window.size %d is below %d samples: too few for the tests to see drift reliably", cfg.Window.Size, n)
		}
	}
	if cfg.Window.Size > 0 && cfg.MinSamples > cfg.Window.Size {
		add("minSamples %d exceeds window.size %d, so no feature would ever be tested", cfg.MinSamples, cfg.Window.Size)
	}
	if m := d.Rules.MaxInterval.Duration; m > 0 && cfg.Interval.Duration > m {
		add("interval %s is longer than %s: drift would be noticed too late", cfg.Interval.Duration, m)
	}
	if cfg.Alerts.Event != nil {
		why, err := eventPermission(ctx, env, s.deploy)
		if err != nil {
			return nil, err
		}
		if why != "" {
			add("%s", why)
		}
	}
	return problems, nil
}

// rbacSettle bounds how long a denial is asked again: RBAC's cache sees a
// new binding well within it.
const rbacSettle = 5 * time.Second

// eventPermission asks the API server whether the monitor's pods may create
// Events, as their service account; it returns why not, or "".
func eventPermission(ctx context.Context, env Env, dep *appsv1.Deployment) (string, error) {
	ns := env.Namespace
	pod := dep.Spec.Template.Spec
	sa := pod.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	if pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken {
		return "alerts go to an Event, but the monitor's pods mount no service-account token (automountServiceAccountToken: false)", nil
	}
	// RBAC honours a binding applied a moment ago only once its cache has
	// it (see runAccess): a denial is asked again for a few seconds
	wait, cancel := context.WithTimeout(ctx, rbacSettle)
	defer cancel()
	_, err := askAgain(wait, func(ctx context.Context) (string, error) {
		allowed, _, err := env.Clients.MayDo(ctx, ns, sa, authzv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: "", Resource: "events"})
		switch {
		case err != nil:
			return "", fmt.Errorf("asking the API server whether service account %s may create events: %w", sa, err)
		case !allowed:
			return "", Failf("alerts go to an Event, but service account %s may not create events in namespace %s (grant it with a Role and RoleBinding)", sa, ns)
		}
		return "", nil
	})
	var denied *Failure
	if errors.As(err, &denied) {
		return denied.Error(), nil
	}
	return "", err
}
