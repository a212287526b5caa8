package drift

import "time"

// The drift monitor's GET /status, read by the grader's drift check: the
// contract between the two, next to the config it reports on.

// FeatureStatus is one feature's last evaluation.
type FeatureStatus struct {
	Name      string   `json:"name"`
	Test      string   `json:"test"`
	Statistic *float64 `json:"statistic,omitempty"`
	PValue    *float64 `json:"pValue,omitempty"`
	Threshold float64  `json:"threshold"`
	Drift     bool     `json:"drift"`
	Samples   int      `json:"samples"`
	// Note says why there is no statistic (too few samples, bad values).
	Note string `json:"note,omitempty"`
}

// SinkStatus counts what an alert sink did.
type SinkStatus struct {
	Sent      int    `json:"sent"`
	LastError string `json:"lastError,omitempty"`
}

// MonitorStatus is the drift monitor's GET /status.
type MonitorStatus struct {
	Ready       bool                  `json:"ready"`
	ConfigError string                `json:"configError,omitempty"`
	Samples     int                   `json:"samples"`
	Window      Window                `json:"window"`
	MinSamples  int                   `json:"minSamples"`
	EvaluatedAt *time.Time            `json:"evaluatedAt,omitempty"`
	Features    []FeatureStatus       `json:"features"`
	Alerts      map[string]SinkStatus `json:"alerts"`
}
