package checks

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/drift"
	"github.com/labgrade/labgrade/grader/spec"
)

func monitorDeployment(args []string, mounts []corev1.VolumeMount, volumes []corev1.Volume) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "drift-monitor", Namespace: "ns"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "monitor", Args: args, VolumeMounts: mounts}},
			Volumes:    volumes,
		}}},
	}
}

func cmVolume(name, cm string, items ...corev1.KeyToPath) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: cm}, Items: items}}}
}

// The config is found wherever the learner mounts it, the way the kubelet
// would place the file.
func TestConfigSource(t *testing.T) {
	cases := []struct {
		name            string
		dep             *appsv1.Deployment
		wantCM, wantKey string
		wantErr         string
	}{
		{"default path, directory mount",
			monitorDeployment(nil, []corev1.VolumeMount{{Name: "c", MountPath: "/etc/drift-monitor"}}, []corev1.Volume{cmVolume("c", "cfg")}),
			"cfg", "config.yaml", ""},
		{"flag with =, subPath mount",
			monitorDeployment([]string{"--config=/conf/monitor.yaml"}, []corev1.VolumeMount{{Name: "c", MountPath: "/conf/monitor.yaml", SubPath: "m.yaml"}}, []corev1.Volume{cmVolume("c", "cfg")}),
			"cfg", "m.yaml", ""},
		{"items map a key to the file",
			monitorDeployment([]string{"-config", "/etc/m/config.yaml"}, []corev1.VolumeMount{{Name: "c", MountPath: "/etc/m/"}}, []corev1.Volume{cmVolume("c", "cfg", corev1.KeyToPath{Key: "monitor", Path: "config.yaml"})}),
			"cfg", "monitor", ""},
		{"the longest mount wins",
			monitorDeployment(nil, []corev1.VolumeMount{{Name: "etc", MountPath: "/etc"}, {Name: "c", MountPath: "/etc/drift-monitor"}}, []corev1.Volume{cmVolume("etc", "other"), cmVolume("c", "cfg")}),
			"cfg", "config.yaml", ""},
		{"nothing mounted there",
			monitorDeployment(nil, []corev1.VolumeMount{{Name: "c", MountPath: "/data"}}, []corev1.Volume{cmVolume("c", "cfg")}),
			"", "", "no volume is mounted there"},
		{"not a ConfigMap",
			monitorDeployment(nil, []corev1.VolumeMount{{Name: "c", MountPath: "/etc/drift-monitor"}}, []corev1.Volume{{Name: "c", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}),
			"", "", `volume "c" is not one`},
		{"items that leave the file out",
			monitorDeployment(nil, []corev1.VolumeMount{{Name: "c", MountPath: "/etc/drift-monitor"}}, []corev1.Volume{cmVolume("c", "cfg", corev1.KeyToPath{Key: "x", Path: "other.yaml"})}),
			"", "", "projects no item"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cm, key, err := configSource(c.dep)
			if c.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.wantCM, cm)
			assert.Equal(t, c.wantKey, key)
		})
	}
}

const solutionConfig = `reference: /data/reference.csv
features:
- {name: a, type: numeric}
- {name: b, type: numeric}
- {name: c, type: categorical}
tests:
  numeric: {test: ks, threshold: 0.001}
  categorical: {test: chi2, threshold: 0.001}
window: {size: 300}
minSamples: 200
interval: 2s
alerts:
  event: {kind: Deployment, name: model-server}
`

var driftRules = &spec.DriftCheck{
	Monitor: "drift-monitor",
	Features: []spec.DriftFeature{
		{Name: "a", Type: "numeric"}, {Name: "b", Type: "numeric"}, {Name: "c", Type: "categorical"},
	},
	Rules: spec.DriftRules{
		Tests:       map[string][]string{"numeric": {"ks", "psi"}, "categorical": {"chi2"}},
		Thresholds:  map[string]spec.Range{"ks": {Min: 0.0001, Max: 0.01}, "psi": {Min: 0.1, Max: 0.5}},
		MinWindow:   200,
		MaxInterval: spec.Duration{Duration: 10e9},
	},
}

// judge runs the static rules on a config, with the API server answering
// the RBAC question as allowed says. (A fake clientset: the rules are pure
// logic; the real SubjectAccessReview runs in the e2e lab test.)
func judge(t *testing.T, config string, allowed bool) []string {
	t.Helper()
	cfg, err := drift.ParseMonitorConfig("test", []byte(config))
	require.NoError(t, err)
	cs := fake.NewClientset()
	cs.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		assert.Equal(t, "system:serviceaccount:ns:default", r.Spec.User)
		r.Status.Allowed = allowed
		return true, r, nil
	})
	env := Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "ns"}
	problems, err := judgeMonitorConfig(context.Background(), env, driftRules, &monitorSetup{deploy: monitorDeployment(nil, nil, nil), config: cfg})
	require.NoError(t, err)
	return problems
}

func TestJudgeMonitorConfig(t *testing.T) {
	assert.Empty(t, judge(t, solutionConfig, true))
	cases := []struct{ name, old, new, want string }{
		{"missing feature", "- {name: b, type: numeric}\n", "", "feature(s) b of the model are not monitored"},
		{"extra feature", "- {name: c, type: categorical}\n", "- {name: c, type: categorical}\n- {name: z, type: numeric}\n", "feature z is not an input of the model"},
		{"wrong type", "{name: b, type: numeric}", "{name: b, type: categorical, test: {test: chi2, threshold: 0.001}}", "feature b is numeric, not categorical"},
		{"test not accepted", "{name: b, type: numeric}", "{name: b, type: numeric, test: {test: wasserstein, threshold: 0.2}}", "feature b: wasserstein is not a test this lab accepts for numeric features (use ks or psi)"},
		{"p-value the wrong way round", "threshold: 0.001}\n  categorical", "threshold: 0.95}\n  categorical",
			"ks threshold 0.95 is outside the accepted range [0.0001, 0.01] (a p-value below it flags drift) for a, b"},
		{"small window", "size: 300}\nminSamples: 200", "size: 50}\nminSamples: 50", "window.size 50 is below 200 samples"},
		{"window by time only", "window: {size: 300}", "window: {duration: 5m}", "window has no size"},
		{"minSamples above window", "minSamples: 200", "minSamples: 400", "minSamples 400 exceeds window.size 300"},
		{"slow interval", "interval: 2s", "interval: 1m", "interval 1m0s is longer than 10s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Contains(t, solutionConfig, c.old)
			problems := judge(t, strings.Replace(solutionConfig, c.old, c.new, 1), true)
			require.Len(t, problems, 1, "%q", problems)
			assert.Contains(t, problems[0], c.want)
		})
	}
	t.Run("no RBAC for events", func(t *testing.T) {
		problems := judge(t, solutionConfig, false)
		require.Len(t, problems, 1)
		assert.Contains(t, problems[0], "service account default may not create events in namespace ns")
	})
	t.Run("a webhook needs no RBAC", func(t *testing.T) {
		cfg := strings.Replace(solutionConfig, "event: {kind: Deployment, name: model-server}", "webhook: {url: http://hook/}", 1)
		assert.Empty(t, judge(t, cfg, false))
	})
}

func TestConfigFlag(t *testing.T) {
	for argv, want := range map[string]string{
		"-config /a": "/a", "--config /b": "/b", "-config=/c": "/c", "--config=/d": "/d", "-x 1 -config /e -y": "/e",
	} {
		got, ok := configFlag(strings.Fields(argv))
		assert.True(t, ok, argv)
		assert.Equal(t, want, got, argv)
	}
	_, ok := configFlag([]string{"-config"})
	assert.False(t, ok, "a flag without its value")
}

// The grader recomputes what the monitor reports from the monitor's own
// window: the truth passes, a made-up statistic or verdict fails.
func TestAgree(t *testing.T) {
	ref, err := drift.ReadCSV("../../fixtures/model/reference.csv")
	require.NoError(t, err)
	cfg, err := drift.ParseMonitorConfig("test", []byte(`reference: /data/reference.csv
features: [{name: mean_radius, type: numeric}, {name: mean_area, type: numeric, test: {test: psi, threshold: 0.2}}]
tests: {numeric: {test: ks, threshold: 0.001}}
window: {size: 300}
minSamples: 100
interval: 2s
alerts: {webhook: {url: http://hook/}}
`))
	require.NoError(t, err)
	window := map[string][]any{}
	var status drift.MonitorStatus
	for _, f := range cfg.Features {
		col, _ := ref.Column(f.Name)
		var vals []any
		for _, v := range col.Values[:300] {
			vals = append(vals, v+1) // shifted a little: both tests see something
		}
		window[f.Name] = vals
		tst, _ := cfg.TestFor(f)
		r, err := drift.CompareColumn(col, drift.ColumnOf(f.Name, vals), drift.Options{Test: tst.Test, Threshold: tst.Threshold})
		require.NoError(t, err)
		stat := r.Statistic
		status.Features = append(status.Features, drift.FeatureStatus{Name: f.Name, Test: tst.Test, Statistic: &stat, PValue: r.PValue, Drift: r.Drift, Samples: 300})
	}
	good := append([]drift.FeatureStatus(nil), status.Features...)
	p := &phase{status: status, window: window}
	assert.NoError(t, agree(cfg, ref, p, 1e-6))

	faked := *status.Features[0].Statistic * 1.01
	status.Features[0].Statistic = &faked
	err = agree(cfg, ref, &phase{status: status, window: window}, 1e-6)
	assertFailure(t, err, "feature mean_radius: the monitor reports ks statistic")

	status.Features[0].Statistic = nil
	err = agree(cfg, ref, &phase{status: status, window: window}, 1e-6)
	assertFailure(t, err, "computed no statistic for feature mean_radius")

	p2 := &phase{status: drift.MonitorStatus{Features: append([]drift.FeatureStatus(nil), good...)}, window: window}
	p2.status.Features[1].Drift = !p2.status.Features[1].Drift
	err = agree(cfg, ref, p2, 1e-6)
	assertFailure(t, err, "feature mean_area: the monitor says drift=")
}
