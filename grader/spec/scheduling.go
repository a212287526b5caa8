package spec

import (
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// SchedulingCheck judges where the scheduler put a workload's pods and
// why those it could not place wait. Every pod that Selector matches, and
// at least Min, must run, each on a node whose labels Nodes matches, and every
// pod must be confined to such nodes by its own spec: its tolerations,
// node selector, required node affinity and the extended resources it
// requests (nvidia.com/gpu) admit no other node of the cluster, so that
// where it runs is not luck. A pod that waits fails the check with the
// scheduler's own reason (its PodScheduled condition: "untolerated
// taint", "Insufficient nvidia.com/gpu").
//
// With a burst, the check also judges priorities: once the pods run, the
// grader scales a Deployment of the submission up; its pods must all run
// within the burst's deadline, and the scheduler must have preempted at
// least one of the judged pods to make room for them. The grader then
// scales the Deployment back, and the judged pods must all run again, at
// least Min of them, within the resume deadline (a Job must survive losing a pod to
// preemption).
//
// What it trusts: pods' spec.nodeName and conditions (the scheduler's,
// the kubelet's: a namespace admin cannot write pods/status) and the
// nodes' labels, taints and allocatable resources.
//
//labgrade:checkkind scheduling Scheduling: pods run on the nodes the lab expects and nowhere else, and (with a burst) higher-priority pods preempt them.
type SchedulingCheck struct {
	// Selector of the pods judged, a label selector in the lab namespace
	// (app=trainer).
	Selector string `json:"selector"`
	// Min is how many of them must run (default 1).
	Min int `json:"min,omitempty" jsonschema:"minimum=0"`
	// Nodes is a label selector over nodes (labgrade.dev/gpu=true, or
	// !labgrade.dev/gpu for the nodes without that label): where the pods
	// must run, and the only nodes their spec may admit.
	Nodes string `json:"nodes"`
	// Burst scales a Deployment of the submission up to take the pods'
	// room, and requires preemption.
	Burst *SchedulingBurst `json:"burst,omitempty"`
}

// SchedulingBurst is the load a scheduling check adds to judge priorities.
// The check's timeout must hold the placement, the deadline and the
// resume: leave it out, and it is 45s plus both.
type SchedulingBurst struct {
	// Deployment of the submission, in the lab namespace, that the grader
	// scales up (and back to its replicas after the check).
	Deployment string `json:"deployment"`
	// Replicas it is scaled to.
	Replicas int32 `json:"replicas" jsonschema:"minimum=1"`
	// Deadline for all of the burst's pods to run (default 45s).
	Deadline Duration `json:"deadline,omitempty"`
	// Resume is how long the judged pods may take to run again, Min of
	// them, once the burst is scaled back (default 60s).
	Resume Duration `json:"resume,omitempty"`
}

// schedulingTimeout is a scheduling check's timeout without a burst when
// the lab gives none: pods of a small workload are placed and started in
// seconds, and a pod that waits longer waits for a reason.
const schedulingTimeout = 45 * time.Second

// Default fills in Min, the burst's deadlines, and a timeout that holds
// the placement, the burst and the resumption.
func (s *SchedulingCheck) Default(c *Check) {
	if s.Min == 0 {
		s.Min = 1
	}
	total := schedulingTimeout
	if b := s.Burst; b != nil {
		if b.Deadline.Duration == 0 {
			b.Deadline.Duration = 45 * time.Second
		}
		if b.Resume.Duration == 0 {
			b.Resume.Duration = 60 * time.Second
		}
		total += b.Deadline.Duration + b.Resume.Duration
	}
	if c.Timeout.Duration == 0 {
		c.Timeout.Duration = total
	}
}

// Validate checks both selectors and the burst.
func (s *SchedulingCheck) Validate(v Validator) {
	where := v.Where()
	switch _, err := labels.Parse(s.Selector); {
	case s.Selector == "":
		v.Problemf("", "scheduling in %s needs selector, the label selector of the pods judged", where)
	case err != nil:
		v.Problemf("selector", "selector %q in %s: %v", s.Selector, where, err)
	}
	switch _, err := labels.Parse(s.Nodes); {
	case s.Nodes == "":
		v.Problemf("", "scheduling in %s needs nodes, the label selector of the nodes the pods belong on", where)
	case err != nil:
		v.Problemf("nodes", "nodes %q in %s: %v", s.Nodes, where, err)
	}
	if s.Min < 0 {
		v.Problemf("min", "min in %s must not be negative", where)
	}
	if b := s.Burst; b != nil {
		switch {
		case b.Deployment == "":
			v.Problemf("burst", "burst in %s needs deployment, the Deployment the grader scales up", where)
		case len(validation.IsDNS1123Subdomain(b.Deployment)) > 0:
			v.Problemf("burst.deployment", "burst.deployment %q in %s is not a valid Deployment name", b.Deployment, where)
		}
		if b.Replicas < 1 {
			v.Problemf("burst.replicas", "burst.replicas in %s must be at least 1", where)
		}
		if s.Min < 1 {
			v.Problemf("min", "a burst in %s needs min of at least 1: preemption needs pods to preempt", where)
		}
	}
}

// Subject is the burst's Deployment, when there is one: the judged pods
// are a selector's, not one object.
func (s *SchedulingCheck) Subject() (apiVersion, kind, name string) {
	if s.Burst != nil {
		return "apps/v1", "Deployment", s.Burst.Deployment
	}
	return "", "", ""
}

// Effects: without a burst the check only reads the cluster; a burst
// scales a Deployment and makes the scheduler preempt pods.
func (s *SchedulingCheck) Effects() Effects {
	if s.Burst != nil {
		return Effects{Disruptive: true}
	}
	return Effects{Quick: true}
}
