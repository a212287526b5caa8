package drift

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// MonitorConfig is the drift monitor's YAML file
// (fixtures/images/drift-monitor, mounted from a ConfigMap). It lives here,
// next to the tests it names, because two programs read it: the monitor,
// and the grader's drift check, which judges a learner's config by the same
// rules the monitor applies.
type MonitorConfig struct {
	// Reference is the path of the reference CSV (header row = features).
	Reference string `json:"reference"`
	// Features to monitor, with their type.
	Features []MonitoredFeature `json:"features"`
	// Tests by feature type (numeric, categorical); a feature's own test
	// wins.
	Tests map[string]TestSpec `json:"tests"`
	// Window of recent samples compared with the reference.
	Window Window `json:"window"`
	// MinSamples below which no feature is tested.
	MinSamples int `json:"minSamples"`
	// Interval between evaluations.
	Interval Duration `json:"interval"`
	// Alerts are sent when a feature starts drifting.
	Alerts Alerts `json:"alerts"`
}

// MonitoredFeature is one monitored column.
type MonitoredFeature struct {
	Name string    `json:"name"`
	Type string    `json:"type"` // numeric or categorical
	Test *TestSpec `json:"test,omitempty"`
}

// TestSpec is a statistical test and where it flags drift: a p-value below
// threshold (ks, chi2) or a distance above it (psi, jensenshannon,
// wasserstein).
type TestSpec struct {
	Test      string  `json:"test"`
	Threshold float64 `json:"threshold"`
	Bins      int     `json:"bins,omitempty"`
}

// Window bounds the samples compared: the last Size samples and/or those
// younger than Duration.
type Window struct {
	Size     int      `json:"size,omitempty"`
	Duration Duration `json:"duration,omitempty"`
}

// Alerts are where drift is reported.
type Alerts struct {
	// Event creates a Kubernetes Event on this object (in the monitor's
	// namespace); the monitor's service account needs to create events.
	Event *EventSink `json:"event,omitempty"`
	// Webhook receives a JSON POST.
	Webhook *WebhookSink `json:"webhook,omitempty"`
}

// EventSink names the object an Event is about.
type EventSink struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	APIVersion string `json:"apiVersion,omitempty"`
}

// WebhookSink is an HTTP endpoint.
type WebhookSink struct {
	URL string `json:"url"`
}

// Duration is a duration written as "30s".
type Duration struct{ time.Duration }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30s\"", s)
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string, as it was read.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// LoadMonitorConfig reads and validates a config file; every problem is
// reported.
func LoadMonitorConfig(path string) (*MonitorConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMonitorConfig(path, b)
}

// ParseMonitorConfig parses and validates a config; name (a file, or a
// ConfigMap key) leads every error.
func ParseMonitorConfig(name string, b []byte) (*MonitorConfig, error) {
	var c MonitorConfig
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

func (c *MonitorConfig) validate() error {
	var problems []string
	add := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	if c.Reference == "" {
		add("reference: the reference dataset's path is required")
	}
	if len(c.Features) == 0 {
		add("features: at least one feature is required")
	}
	seen := map[string]bool{}
	for i, f := range c.Features {
		if f.Name == "" || seen[f.Name] {
			add("features[%d]: empty or repeated name %q", i, f.Name)
		}
		seen[f.Name] = true
		if f.Type != "numeric" && f.Type != "categorical" {
			add("features[%d] %s: type must be numeric or categorical, not %q", i, f.Name, f.Type)
			continue
		}
		t, ok := c.TestFor(f)
		if !ok {
			add("features[%d] %s: no test (set tests.%s or the feature's test)", i, f.Name, f.Type)
			continue
		}
		if !slices.Contains(Tests, t.Test) {
			add("features[%d] %s: unknown test %q (one of %v)", i, f.Name, t.Test, Tests)
		}
		if t.Test == TestChi2 && f.Type == "numeric" || t.Test != TestChi2 && f.Type == "categorical" {
			add("features[%d] %s: test %s does not fit a %s feature", i, f.Name, t.Test, f.Type)
		}
		if t.Threshold <= 0 || (UsesPValue(t.Test) && t.Threshold >= 1) {
			add("features[%d] %s: threshold %g is out of range for %s", i, f.Name, t.Threshold, t.Test)
		}
	}
	if c.Window.Size <= 0 && c.Window.Duration.Duration <= 0 {
		add("window: give size and/or duration")
	}
	if c.MinSamples <= 0 {
		add("minSamples must be positive")
	}
	if c.Interval.Duration <= 0 {
		add("interval must be a positive duration")
	}
	if c.Alerts.Event == nil && c.Alerts.Webhook == nil {
		add("alerts: set event and/or webhook, or drift goes unreported")
	}
	if e := c.Alerts.Event; e != nil && (e.Kind == "" || e.Name == "") {
		add("alerts.event needs kind and name")
	}
	if w := c.Alerts.Webhook; w != nil && !strings.HasPrefix(w.URL, "http") {
		add("alerts.webhook.url must be an http(s) URL")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// TestFor is the feature's own test, else its type's.
func (c *MonitorConfig) TestFor(f MonitoredFeature) (TestSpec, bool) {
	if f.Test != nil {
		return *f.Test, true
	}
	t, ok := c.Tests[f.Type]
	return t, ok
}
