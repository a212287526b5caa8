package runner

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/spec"
)

// selectLab has one check of each cost, and dependencies across them:
//
//	ready (resource) <- pods (absent) <- answers (http) <- rejects (http)
//	ready <- rollout (rollout, not quick)
//	monitor (drift, static) ; drifts (drift behaviour, not quick) <- after (resource)
func selectLab() *lab.Lab {
	res := &spec.ResourceCheck{Target: spec.Target{APIVersion: "apps/v1", Kind: "Deployment", Name: "m"}}
	l := &lab.Lab{}
	l.Metadata.Name = "demo"
	l.Spec.Checks = []spec.Check{
		{ID: "ready", Points: 10, Kinds: spec.Kinds{Resource: res}},
		{ID: "pods", Points: 5, DependsOn: []string{"ready"}, Kinds: spec.Kinds{Absent: &spec.AbsentCheck{}}},
		{ID: "answers", Points: 10, DependsOn: []string{"pods"}, Kinds: spec.Kinds{HTTP: &spec.HTTPCheck{}}},
		{ID: "rejects", Points: 5, DependsOn: []string{"answers"}, Kinds: spec.Kinds{HTTP: &spec.HTTPCheck{}}},
		{ID: "monitor", Points: 5, Kinds: spec.Kinds{Drift: &spec.DriftCheck{}}},
		{ID: "drifts", Points: 15, Kinds: spec.Kinds{Drift: &spec.DriftCheck{Behaviour: &spec.DriftBehaviour{}}}},
		// after depends on late, which is declared after it
		{ID: "after", Points: 5, DependsOn: []string{"late"}, Kinds: spec.Kinds{Resource: res}},
		{ID: "rollout", Points: 15, DependsOn: []string{"ready"}, Kinds: spec.Kinds{Rollout: &spec.RolloutCheck{}}},
		{ID: "late", Points: 5, DependsOn: []string{"drifts"}, Kinds: spec.Kinds{Resource: res}},
	}
	return l
}

func ids(cs []spec.Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestSelectionPlan(t *testing.T) {
	cases := []struct {
		name    string
		sel     Selection
		run     []string
		leftOut []string
		points  int
		notes   []string
	}{
		{name: "everything", run: []string{"ready", "pods", "answers", "rejects", "monitor", "drifts", "after", "rollout", "late"}},
		{
			name: "quick leaves out traffic, rollouts and what depends on them, wherever it is declared",
			sel:  Selection{Quick: true},
			run:  []string{"ready", "pods", "answers", "rejects", "monitor"}, leftOut: []string{"drifts", "after", "rollout", "late"}, points: 40,
			notes: []string{"after is left out too: it depends on late, which is left out", "late is left out too: it depends on drifts, which is left out"},
		},
		{
			name: "only pulls in what a check depends on, transitively",
			sel:  Selection{Only: []string{"rejects"}},
			run:  []string{"ready", "pods", "answers", "rejects"}, leftOut: []string{"monitor", "drifts", "after", "rollout", "late"}, points: 45,
			notes: []string{"ready runs too: pods depends on it", "pods runs too: answers depends on it", "answers runs too: rejects depends on it"},
		},
		{
			name: "skip leaves out the checks that depend on it",
			sel:  Selection{Skip: []string{"pods"}},
			run:  []string{"ready", "monitor", "drifts", "after", "rollout", "late"}, leftOut: []string{"pods", "answers", "rejects"}, points: 20,
			notes: []string{"answers is left out too: it depends on pods, which is left out", "rejects is left out too: it depends on answers, which is left out"},
		},
		{
			name: "skip wins over a dependency only pulls in",
			sel:  Selection{Only: []string{"ready", "answers"}, Skip: []string{"pods"}},
			run:  []string{"ready"}, leftOut: []string{"pods", "answers", "rejects", "monitor", "drifts", "after", "rollout", "late"}, points: 65,
			notes: []string{"answers is left out too: it depends on pods, which is left out"},
		},
		{
			name: "quick wins over only",
			sel:  Selection{Only: []string{"monitor", "late"}, Quick: true},
			run:  []string{"monitor"}, leftOut: []string{"ready", "pods", "answers", "rejects", "drifts", "after", "rollout", "late"}, points: 70,
			notes: []string{"late is left out too: it depends on drifts, which is left out"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.sel.Plan(selectLab())
			require.NoError(t, err)
			assert.Equal(t, c.run, ids(p.Run))
			assert.Equal(t, c.leftOut, p.LeftOut)
			assert.Equal(t, c.points, p.LeftOutPoints)
			assert.Equal(t, c.notes, p.Notes)
			// the runner waits on every dependency of a check it runs: one
			// missing would hang it
			in := map[string]bool{}
			for _, id := range ids(p.Run) {
				in[id] = true
			}
			for _, ch := range p.Run {
				for _, dep := range ch.DependsOn {
					assert.True(t, in[dep], "%s runs without its dependency %s", ch.ID, dep)
				}
			}
		})
	}
}

func TestSelectionBadInput(t *testing.T) {
	cases := []struct {
		name string
		sel  Selection
		want string
	}{
		{"unknown id in only", Selection{Only: []string{"ready", "raedy"}},
			`--only: lab demo has no check "raedy"; its checks are: ready, pods, answers, rejects, monitor, drifts, after, rollout, late`},
		{"unknown id in skip", Selection{Skip: []string{"nope"}}, `--skip: lab demo has no check "nope"`},
		{"empty id", Selection{Only: []string{"ready", ""}}, "--only has an empty check id (a stray comma?)"},
		{"both only and skip", Selection{Only: []string{"ready"}, Skip: []string{"ready"}}, `check "ready" is in both --only and --skip`},
		{"nothing left", Selection{Only: []string{"rollout"}, Quick: true}, "--quick --only rollout leaves no check of lab demo to grade"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.sel.Plan(selectLab())
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// The real lab: --quick keeps every check that only reads the cluster or
// sends one request, and leaves out exactly the traffic phases and the
// rollouts.
func TestQuickK8sServing(t *testing.T) {
	l, err := lab.Load(filepath.Join("..", "..", "labs", "k8s-serving"))
	require.NoError(t, err)
	p, err := Selection{Quick: true}.Plan(l)
	require.NoError(t, err)
	assert.Equal(t, []string{"drift-detects", "rollout-under-traffic", "rollout-halts"}, p.LeftOut)
	assert.Equal(t, 40, p.LeftOutPoints)
	assert.Empty(t, p.Notes)
	assert.Len(t, p.Run, len(l.Spec.Checks)-3)
	for _, c := range p.Run {
		assert.False(t, c.SendsTraffic() || c.IsDisruptive(), c.ID)
	}
}

func TestSelectionString(t *testing.T) {
	assert.True(t, Selection{}.IsZero())
	assert.Empty(t, Selection{}.String())
	assert.Equal(t, "--quick --only a,b --skip c", Selection{Only: []string{"a", "b"}, Skip: []string{"c"}, Quick: true}.String())
}
