package runner

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/spec"
)

// copiesLab has two rollouts (contained), a Job (disruptive, not
// contained: it reaches the lab's registry) and calm checks.
func copiesLab() *lab.Lab {
	l := &lab.Lab{}
	l.Metadata.Name = "demo"
	l.Spec.Checks = []spec.Check{
		{ID: "ready", Kinds: spec.Kinds{Resource: &spec.ResourceCheck{}}},
		{ID: "rollout", DependsOn: []string{"ready"}, Kinds: spec.Kinds{Rollout: &spec.RolloutCheck{}}},
		{ID: "train", Kinds: spec.Kinds{Job: &spec.JobCheck{}}},
		{ID: "drifts", Kinds: spec.Kinds{Drift: &spec.DriftCheck{Behaviour: &spec.DriftBehaviour{}}}},
		{ID: "halts", Kinds: spec.Kinds{RolloutHalts: &spec.RolloutHaltsCheck{}}},
	}
	return l
}

func TestCopiesOf(t *testing.T) {
	fresh := Grading{Submission: "sub", Setup: Fresh, Copies: true}
	t.Run("each contained disruptive check gets a namespace", func(t *testing.T) {
		got, why := copiesOf(fresh, "ml", copiesLab())
		assert.Empty(t, why)
		assert.Equal(t, map[int]string{1: "ml-copy1", 4: "ml-copy2"}, got)
	})
	t.Run("not asked", func(t *testing.T) {
		got, why := copiesOf(Grading{Submission: "sub", Setup: Fresh}, "ml", copiesLab())
		assert.Nil(t, got)
		assert.Empty(t, why)
	})
	t.Run("nothing to copy for", func(t *testing.T) {
		l := copiesLab()
		l.Spec.Checks = l.Spec.Checks[2:4]
		got, why := copiesOf(fresh, "ml", l)
		assert.Nil(t, got)
		assert.Empty(t, why, "a lab without rollouts says nothing of copies")
	})
	refused := map[string]struct {
		g    Grading
		ns   string
		lab  func(*lab.Lab)
		says string
	}{
		"as it stands":  {g: Grading{Submission: "sub", Setup: AsIs, Copies: true}, ns: "ml", says: "as it stands"},
		"no submission": {g: Grading{Setup: Fresh, Copies: true}, ns: "ml", says: "as it stands"},
		"exclusive":     {g: fresh, ns: "ml", lab: func(l *lab.Lab) { l.Spec.Cluster.Exclusive = true }, says: "exclusive"},
		"allow": {g: fresh, ns: "ml", says: "submission.allow",
			lab: func(l *lab.Lab) { l.Spec.Submission.Allow = []spec.AllowedKind{{Kind: "PriorityClass"}} }},
		"long namespace": {g: fresh, ns: strings.Repeat("n", 58), says: "too long"},
	}
	for name, c := range refused {
		t.Run(name, func(t *testing.T) {
			l := copiesLab()
			if c.lab != nil {
				c.lab(l)
			}
			got, why := copiesOf(c.g, c.ns, l)
			assert.Nil(t, got)
			assert.Contains(t, why, c.says)
		})
	}
	t.Run("the longest namespace that fits", func(t *testing.T) {
		ns := strings.Repeat("n", maxNamespaceLen-len("-copy2"))
		got, why := copiesOf(fresh, ns, copiesLab())
		assert.Empty(t, why)
		assert.Equal(t, ns+"-copy2", got[4])
	})
}
