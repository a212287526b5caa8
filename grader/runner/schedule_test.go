package runner

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/result"
)

// These tests drive schedule with fake checks that hold until the test
// releases them, so the order is controlled by channels. Only "nothing else
// starts now" needs a clock (quiet): a correct scheduler passes whatever
// the timing, a wrong one is caught unless it is slower than quietFor.
const (
	quietFor = 50 * time.Millisecond
	// hangAfter fails a test that waits for something that never comes
	// (a hung scheduler) instead of hanging the test binary.
	hangAfter = 10 * time.Second
)

// fake is the run function: it records every call (start and end as
// sequence numbers, and the scheduler's notRun), checks the invariants a
// call must find when it starts, and holds a real run until released.
type fake struct {
	t    *testing.T
	jobs []job
	// outcome of a real run by id; Pass when not set.
	outcome map[string]result.Outcome
	// held: a real run of these ids waits for release(id) or ctx.
	held    map[string]chan struct{}
	started chan string

	mu                  sync.Mutex
	seq                 int
	startAt, endAt      map[string]int
	skips               map[string]*notRun
	running, maxRunning int
	violations          []string
}

func newFake(t *testing.T, jobs []job, holdAll bool) *fake {
	f := &fake{t: t, jobs: jobs, outcome: map[string]result.Outcome{}, held: map[string]chan struct{}{},
		started: make(chan string, len(jobs)), startAt: map[string]int{}, endAt: map[string]int{}, skips: map[string]*notRun{}}
	if holdAll {
		for _, j := range jobs {
			f.held[j.ID] = make(chan struct{})
		}
	}
	return f
}

func (f *fake) run(ctx context.Context, i int, skip *notRun) result.Check {
	j := f.jobs[i]
	f.mu.Lock()
	f.seq++
	f.startAt[j.ID] = f.seq
	f.skips[j.ID] = skip
	interrupted := ctx.Err() != nil
	for _, d := range j.DependsOn {
		if _, ok := f.endAt[d]; !ok && !interrupted && f.hasJob(d) {
			f.violations = append(f.violations, fmt.Sprintf("%s started before its dependency %s ended", j.ID, d))
		}
	}
	if j.Disruptive && !interrupted {
		if f.running > 0 {
			f.violations = append(f.violations, fmt.Sprintf("disruptive %s started while %d other calls ran", j.ID, f.running))
		}
		for _, o := range f.jobs {
			if _, ok := f.endAt[o.ID]; !o.Disruptive && !ok {
				f.violations = append(f.violations, fmt.Sprintf("disruptive %s started before %s ended", j.ID, o.ID))
			}
		}
	}
	f.running++
	f.maxRunning = max(f.maxRunning, f.running)
	f.mu.Unlock()
	f.started <- j.ID

	rc := result.Check{ID: j.ID}
	if skip != nil {
		rc.Outcome, rc.Message = skip.Outcome, skip.Message
	} else {
		if h := f.held[j.ID]; h != nil {
			select {
			case <-h:
			case <-ctx.Done():
			}
		}
		rc.Outcome = cmp.Or(f.outcome[j.ID], result.Pass)
		if ctx.Err() != nil {
			rc.Outcome, rc.Message = result.Error, "interrupted while running"
		}
	}

	f.mu.Lock()
	f.seq++
	f.endAt[j.ID] = f.seq
	f.running--
	f.mu.Unlock()
	return rc
}

func (f *fake) hasJob(id string) bool {
	for _, j := range f.jobs {
		if j.ID == id {
			return true
		}
	}
	return false
}

func (f *fake) release(id string) { close(f.held[id]) }

// expectStarts waits until exactly these ids have started (in any order).
func (f *fake) expectStarts(ids ...string) {
	f.t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for range ids {
		select {
		case id := <-f.started:
			require.True(f.t, want[id], "%s started, expected one of %v", id, ids)
			delete(want, id)
		case <-time.After(hangAfter):
			f.t.Fatalf("still waiting for %v to start", want)
		}
	}
}

// quiet asserts that nothing starts now.
func (f *fake) quiet() {
	f.t.Helper()
	select {
	case id := <-f.started:
		f.t.Fatalf("%s started too early", id)
	case <-time.After(quietFor):
	}
}

// realRun reports whether the check body ran (no notRun from the scheduler).
func (f *fake) realRun(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, called := f.startAt[id]
	return called && f.skips[id] == nil
}

// finish checks what every test wants at the end: no invariant broken and
// no call still in progress.
func (f *fake) finish() {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Empty(f.t, f.violations)
	assert.Zero(f.t, f.running, "calls still in progress after schedule returned")
	assert.Len(f.t, f.endAt, len(f.jobs), "run must be called once per job")
}

// start runs schedule in the background; the returned wait gives its
// result, or fails the test if it does not come.
func start(t *testing.T, ctx context.Context, jobs []job, limit int, f *fake) (wait func() []result.Check) {
	out := make(chan []result.Check, 1)
	go func() { out <- schedule(ctx, jobs, limit, f.run) }()
	return func() []result.Check {
		t.Helper()
		select {
		case res := <-out:
			return res
		case <-time.After(hangAfter):
			t.Fatal("schedule did not return")
			return nil
		}
	}
}

func byID(res []result.Check) map[string]result.Check {
	m := map[string]result.Check{}
	for _, r := range res {
		m[r.ID] = r
	}
	return m
}

func TestScheduleDependsOnChain(t *testing.T) {
	// Lab order is the reverse of the dependency order, so starting in
	// lab order would be caught.
	jobs := []job{{ID: "c", DependsOn: []string{"b"}}, {ID: "b", DependsOn: []string{"a"}}, {ID: "a"}}
	f := newFake(t, jobs, true)
	wait := start(t, context.Background(), jobs, 0, f)
	for _, id := range []string{"a", "b", "c"} {
		f.expectStarts(id)
		f.quiet()
		f.release(id)
	}
	res := wait()
	f.finish()
	for i, r := range res {
		assert.Equal(t, jobs[i].ID, r.ID, "results are in job order")
		assert.Equal(t, result.Pass, r.Outcome, r.ID)
	}
}

func TestScheduleDependsOnDiamond(t *testing.T) {
	jobs := []job{{ID: "d", DependsOn: []string{"b", "c"}}, {ID: "b", DependsOn: []string{"a"}}, {ID: "c", DependsOn: []string{"a"}}, {ID: "a"}}
	f := newFake(t, jobs, true)
	wait := start(t, context.Background(), jobs, 0, f)
	f.expectStarts("a")
	f.quiet()
	f.release("a")
	f.expectStarts("b", "c") // both before either is released: they run together
	f.release("b")
	f.quiet() // d still waits for c
	f.release("c")
	f.expectStarts("d")
	f.release("d")
	res := wait()
	f.finish()
	for _, r := range res {
		assert.Equal(t, result.Pass, r.Outcome, r.ID)
		assert.True(t, f.realRun(r.ID), r.ID)
	}
}

func TestScheduleNotRunPropagates(t *testing.T) {
	for _, outcome := range []result.Outcome{result.Fail, result.Error} {
		t.Run(string(outcome), func(t *testing.T) {
			jobs := []job{{ID: "c", DependsOn: []string{"b"}}, {ID: "b", DependsOn: []string{"a"}}, {ID: "a"}, {ID: "free"}}
			f := newFake(t, jobs, false)
			f.outcome["a"] = outcome
			res := byID(start(t, context.Background(), jobs, 0, f)())
			f.finish()
			assert.Equal(t, outcome, res["a"].Outcome)
			assert.Equal(t, result.Check{ID: "b", Outcome: outcome, Message: `not run: it depends on "a", which did not pass`}, res["b"])
			assert.Equal(t, result.Check{ID: "c", Outcome: outcome, Message: `not run: it depends on "b", which did not pass`}, res["c"])
			assert.False(t, f.realRun("b"), "b must not run")
			assert.False(t, f.realRun("c"), "c must not run")
			assert.Equal(t, result.Pass, res["free"].Outcome, "a check outside the chain is not affected")
		})
	}
}

// With several dependencies that did not pass, an errored one decides (the
// check cannot be held against the learner), else the first in dependsOn.
func TestScheduleNotRunNamesAnErroredDependencyFirst(t *testing.T) {
	jobs := []job{
		{ID: "fail"}, {ID: "fail2"}, {ID: "err"}, {ID: "ok"},
		{ID: "both", DependsOn: []string{"ok", "fail", "err"}},
		{ID: "failed", DependsOn: []string{"ok", "fail", "fail2"}},
	}
	f := newFake(t, jobs, false)
	f.outcome["fail"], f.outcome["fail2"], f.outcome["err"] = result.Fail, result.Fail, result.Error
	res := byID(start(t, context.Background(), jobs, 0, f)())
	f.finish()
	assert.Equal(t, result.Check{ID: "both", Outcome: result.Error, Message: `not run: it depends on "err", which did not pass`}, res["both"])
	assert.Equal(t, result.Check{ID: "failed", Outcome: result.Fail, Message: `not run: it depends on "fail", which did not pass`}, res["failed"])
}

func TestScheduleDisruptiveLastAndAlone(t *testing.T) {
	jobs := []job{
		{ID: "r1", Disruptive: true},
		{ID: "a"},
		{ID: "r2", Disruptive: true},
		{ID: "b"},
		{ID: "c", DependsOn: []string{"a"}},
		{ID: "r3", Disruptive: true, DependsOn: []string{"r1"}},
	}
	f := newFake(t, jobs, true)
	wait := start(t, context.Background(), jobs, 0, f)
	f.expectStarts("a", "b")
	f.quiet()
	f.release("a")
	f.expectStarts("c")
	f.release("b")
	f.quiet() // c still runs: no disruptive check may start
	f.release("c")
	for _, id := range []string{"r1", "r2", "r3"} {
		f.expectStarts(id)
		f.quiet() // one at a time
		f.release(id)
	}
	res := wait()
	f.finish()
	for _, r := range res {
		assert.Equal(t, result.Pass, r.Outcome, r.ID)
	}
	// The same from the recorded sequence: every disruptive call lies after
	// every calm one, and the disruptive ones do not overlap.
	for _, d := range []string{"r1", "r2", "r3"} {
		for _, c := range []string{"a", "b", "c"} {
			assert.Greater(t, f.startAt[d], f.endAt[c], "%s started before %s ended", d, c)
		}
	}
	assert.Greater(t, f.startAt["r2"], f.endAt["r1"])
	assert.Greater(t, f.startAt["r3"], f.endAt["r2"])
}

func TestScheduleDisruptiveInLabOrder(t *testing.T) {
	// Ids sort the other way round; one disruptive check fails and a later
	// one depends on it: still its turn in lab order, not run.
	jobs := []job{
		{ID: "z", Disruptive: true},
		{ID: "m", Disruptive: true},
		{ID: "a", Disruptive: true, DependsOn: []string{"z"}},
		{ID: "calm"},
	}
	f := newFake(t, jobs, true)
	f.outcome["z"] = result.Fail
	wait := start(t, context.Background(), jobs, 0, f)
	f.expectStarts("calm")
	f.quiet()
	f.release("calm")
	for _, id := range []string{"z", "m"} {
		f.expectStarts(id)
		f.quiet()
		f.release(id)
	}
	f.expectStarts("a") // not run, so not held
	res := byID(wait())
	f.finish()
	assert.Equal(t, result.Fail, res["z"].Outcome)
	assert.Equal(t, result.Pass, res["m"].Outcome)
	assert.Equal(t, result.Check{ID: "a", Outcome: result.Fail, Message: `not run: it depends on "z", which did not pass`}, res["a"])
	assert.Less(t, f.endAt["z"], f.startAt["m"])
	assert.Less(t, f.endAt["m"], f.startAt["a"])
}

func TestScheduleCancelled(t *testing.T) {
	jobs := []job{
		{ID: "a"}, {ID: "b"},
		{ID: "c", DependsOn: []string{"a"}},
		{ID: "d"}, // waits for a slot (limit 2)
		{ID: "r", Disruptive: true},
	}
	f := newFake(t, jobs, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := start(t, ctx, jobs, 2, f)
	f.expectStarts("a", "b")
	cancel() // a and b are held: only ctx ends them
	res := byID(wait())
	f.finish()
	for _, id := range []string{"a", "b"} {
		assert.True(t, f.realRun(id), "%s had started", id)
		assert.Equal(t, result.Error, res[id].Outcome, id)
	}
	for _, id := range []string{"c", "d", "r"} {
		assert.False(t, f.realRun(id), "%s must not start after the cancellation", id)
		assert.Equal(t, result.Check{ID: id, Outcome: result.Error, Message: "not run: grading was interrupted"}, res[id])
	}
}

func TestScheduleCancelledBeforeStart(t *testing.T) {
	jobs := []job{{ID: "a"}, {ID: "b", DependsOn: []string{"a"}}, {ID: "r", Disruptive: true}}
	f := newFake(t, jobs, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := start(t, ctx, jobs, 0, f)()
	f.finish()
	for _, r := range res {
		assert.False(t, f.realRun(r.ID), r.ID)
		assert.Equal(t, result.Check{ID: r.ID, Outcome: result.Error, Message: "not run: grading was interrupted"}, r)
	}
}

func TestScheduleLimit(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e", "f"}
	var jobs []job
	for _, id := range ids {
		jobs = append(jobs, job{ID: id})
	}
	t.Run("limit", func(t *testing.T) {
		f := newFake(t, jobs, true)
		wait := start(t, context.Background(), jobs, 2, f)
		// Lab order fills the slots: a and b, then one more per release.
		f.expectStarts("a", "b")
		f.quiet()
		for i, id := range ids {
			f.release(id)
			if i+2 < len(ids) {
				f.expectStarts(ids[i+2])
				f.quiet()
			}
		}
		wait()
		f.finish()
		assert.Equal(t, 2, f.maxRunning)
	})
	t.Run("unlimited", func(t *testing.T) {
		f := newFake(t, jobs, true)
		wait := start(t, context.Background(), jobs, 0, f)
		f.expectStarts(ids...) // all of them before any is released
		for _, id := range ids {
			f.release(id)
		}
		wait()
		f.finish()
		assert.Equal(t, len(ids), f.maxRunning)
	})
	t.Run("a waiting dependent holds no slot", func(t *testing.T) {
		jobs := []job{{ID: "b", DependsOn: []string{"a"}}, {ID: "a"}}
		f := newFake(t, jobs, true)
		wait := start(t, context.Background(), jobs, 1, f)
		f.expectStarts("a")
		f.release("a")
		f.expectStarts("b")
		f.release("b")
		wait()
		f.finish()
		assert.Equal(t, 1, f.maxRunning)
	})
}

// A lab the loader should have refused must still be graded to the end:
// what can never start is an Error, not a hang.
func TestScheduleImpossibleOrderDoesNotHang(t *testing.T) {
	jobs := []job{
		{ID: "x", DependsOn: []string{"missing"}},
		{ID: "y", DependsOn: []string{"x"}},
		{ID: "p", DependsOn: []string{"q"}},
		{ID: "q", DependsOn: []string{"p"}},
		{ID: "calm", DependsOn: []string{"r2"}},
		{ID: "r1", Disruptive: true, DependsOn: []string{"r2"}},
		{ID: "r2", Disruptive: true},
	}
	f := newFake(t, jobs, false)
	res := byID(start(t, context.Background(), jobs, 0, f)())
	want := map[string]string{
		"x":    `not run: it depends on "missing", which is not a check of this lab`,
		"y":    `not run: it depends on "x", which did not pass`,
		"p":    `not run: it depends on "q", which cannot run before it`,
		"q":    `not run: it depends on "p", which did not pass`,
		"calm": `not run: it depends on "r2", which cannot run before it`,
		"r1":   `not run: it depends on "r2", which cannot run before it`,
	}
	for id, msg := range want {
		assert.Equal(t, result.Check{ID: id, Outcome: result.Error, Message: msg}, res[id])
	}
	assert.Equal(t, result.Pass, res["r2"].Outcome)
	// The fake flags a start before a dependency ended; here that is the
	// point (they never end), so only the calls in progress are checked.
	assert.Zero(t, f.running)
}

func TestScheduleNoJobs(t *testing.T) {
	assert.Empty(t, schedule(context.Background(), nil, 0, func(context.Context, int, *notRun) result.Check {
		t.Fatal("run called without jobs")
		return result.Check{}
	}))
}
