package runner

import (
	"context"
	"fmt"

	"github.com/labgrade/labgrade/grader/result"
)

// job is what the scheduler knows of a check: nothing of Kubernetes, so
// the ordering rules can be tested without a cluster.
type job struct {
	ID        string
	DependsOn []string
	// Disruptive jobs change the cluster (rollouts), so no other job may
	// run while one does.
	Disruptive bool
}

// notRun is the scheduler's decision not to run a check, with the outcome
// and message the check must record.
type notRun struct {
	Outcome result.Outcome
	Message string
}

// interrupted is recorded for every check that had not started when the
// grading was cancelled (Ctrl-C): Error, because it says nothing of the
// learner's work.
var interrupted = notRun{Outcome: result.Error, Message: "not run: grading was interrupted"}

// schedule calls run once for each job, each call in its own goroutine,
// and returns what the calls returned, in job order:
//
//   - a job starts once all its dependencies are done; when one did not
//     pass, run gets a notRun saying so (Fail, or Error when a dependency
//     errored: a broken environment is not the learner's failure);
//   - disruptive jobs start only when every other job is done, then one at
//     a time, in job order, so no check sees the cluster in the middle of a
//     grader-made change;
//   - at most limit calls for non-disruptive jobs are in progress at once
//     (limit <= 0: no limit);
//   - once ctx is done, no job starts any more: every job not started yet
//     gets the interrupted notRun, at once, whatever its order or the limit,
//     and schedule returns when every call has returned;
//   - a job that could never start (it depends on an unknown id, on a loop,
//     or a non-disruptive job on a disruptive one, or a disruptive job on a
//     later one: the lab loader rejects the first three) gets an Error
//     notRun instead of hanging the run.
//
// With a notRun, run must not run the check and must record the notRun's
// outcome and message (dependents read the outcome); it may add details.
// Every call must return promptly once ctx is done.
func schedule(ctx context.Context, jobs []job, limit int, run func(ctx context.Context, i int, skip *notRun) result.Check) []result.Check {
	s := &scheduler{
		jobs:     jobs,
		limit:    limit,
		run:      run,
		out:      make([]result.Check, len(jobs)),
		state:    make([]jobState, len(jobs)),
		index:    make(map[string]int, len(jobs)),
		finished: make(chan finished, len(jobs)), // a call never waits to report
	}
	for i, j := range jobs {
		s.index[j.ID] = i
		if !j.Disruptive {
			s.calmLeft++
		}
	}
	cancelled := ctx.Done()
	for left := len(jobs); left > 0; {
		if ctx.Err() != nil {
			s.interrupt(ctx)
		} else {
			s.startReady(ctx)
			if s.running == 0 {
				s.unstick(ctx)
			}
		}
		// Something is always running here (startReady, unstick or
		// interrupt started it), so this cannot wait forever.
		select {
		case f := <-s.finished:
			s.finish(f)
			left--
		case <-cancelled:
			cancelled = nil // seen: the next turn interrupts
		}
	}
	return s.out
}

type jobState int

const (
	waiting jobState = iota
	started
	done
)

type finished struct {
	i  int
	rc result.Check
}

// scheduler is the state of one schedule call, owned by its loop.
type scheduler struct {
	jobs     []job
	limit    int
	run      func(ctx context.Context, i int, skip *notRun) result.Check
	out      []result.Check
	state    []jobState
	index    map[string]int
	finished chan finished
	// running counts calls in progress; calmLeft the non-disruptive jobs
	// not done, which disruptive ones wait for.
	running, calmLeft int
}

func (s *scheduler) start(ctx context.Context, i int, skip *notRun) {
	s.state[i] = started
	s.running++
	go func() { s.finished <- finished{i, s.run(ctx, i, skip)} }()
}

func (s *scheduler) finish(f finished) {
	s.state[f.i] = done
	s.out[f.i] = f.rc
	s.running--
	if !s.jobs[f.i].Disruptive {
		s.calmLeft--
	}
}

// startReady starts what the rules allow now.
func (s *scheduler) startReady(ctx context.Context) {
	if s.calmLeft > 0 {
		for i, j := range s.jobs {
			if j.Disruptive || s.state[i] != waiting {
				continue
			}
			if s.limit > 0 && s.running >= s.limit {
				return
			}
			if ok, skip := s.ready(i); ok {
				s.start(ctx, i, skip)
			}
		}
		return
	}
	// One disruptive job at a time. The loop only comes here after a call
	// returned, so this holds today without the test; it states the rule
	// for whoever adds another reason to wake the loop.
	if s.running > 0 {
		return
	}
	for i := range s.jobs {
		if s.state[i] == waiting { // the first in job order, or none
			if ok, skip := s.ready(i); ok {
				s.start(ctx, i, skip)
			}
			return
		}
	}
}

// ready reports whether every dependency of job i is done and, if one did
// not pass, the notRun that names it (an errored one first).
func (s *scheduler) ready(i int) (bool, *notRun) {
	var failed, errored string
	for _, d := range s.jobs[i].DependsOn {
		j, ok := s.index[d]
		if !ok || s.state[j] != done {
			return false, nil
		}
		switch s.out[j].Outcome {
		case result.Pass:
		case result.Error:
			if errored == "" {
				errored = d
			}
		default:
			if failed == "" {
				failed = d
			}
		}
	}
	switch {
	case errored != "":
		return true, &notRun{Outcome: result.Error, Message: fmt.Sprintf("not run: it depends on %q, which did not pass", errored)}
	case failed != "":
		return true, &notRun{Outcome: result.Fail, Message: fmt.Sprintf("not run: it depends on %q, which did not pass", failed)}
	}
	return true, nil
}

// unstick is called when nothing runs and nothing could start: the first
// waiting job of the current phase waits for a dependency that will never
// be done. It gets an Error (the lab is wrong, not the learner), which
// lets its dependents go on with "not run".
func (s *scheduler) unstick(ctx context.Context) {
	for i, j := range s.jobs {
		if s.state[i] != waiting || (s.calmLeft > 0 && j.Disruptive) {
			continue
		}
		for _, d := range j.DependsOn {
			k, ok := s.index[d]
			switch {
			case !ok:
				s.start(ctx, i, &notRun{Outcome: result.Error, Message: fmt.Sprintf("not run: it depends on %q, which is not a check of this lab", d)})
				return
			case s.state[k] != done:
				s.start(ctx, i, &notRun{Outcome: result.Error, Message: fmt.Sprintf("not run: it depends on %q, which cannot run before it", d)})
				return
			}
		}
	}
}

// interrupt hands every job not started yet to run as interrupted.
func (s *scheduler) interrupt(ctx context.Context) {
	for i := range s.jobs {
		if s.state[i] == waiting {
			skip := interrupted
			s.start(ctx, i, &skip)
		}
	}
}
