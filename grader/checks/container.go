package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/images"
	"github.com/labgrade/labgrade/grader/spec"
)

// runContainer runs the image as a plain container on the host and judges
// it: ready within the budget, not root, every request answered as
// expected. It shares images.Smoke with the fixture images' own smoke
// tests, so a lab grades a learner's image exactly as labgrade tests its
// own.
func runContainer(ctx context.Context, c *spec.ContainerCheck) Outcome {
	port := c.Port
	if port == 0 {
		port = 8080
	}
	budget := c.StartupBudget.Duration
	if budget <= 0 {
		budget = 30 * time.Second
	}
	probe := images.Probe{
		Port: fmt.Sprintf("%d/tcp", port), ReadyPath: cmp.Or(c.ReadyPath, "/readyz"),
		Env: c.Env, Timeout: budget,
	}
	for _, r := range c.Requests {
		probe.Requests = append(probe.Requests, images.Request{Method: r.Method, Path: r.Path, Body: r.Body})
	}
	if id, err := cluster.LocalImageID(ctx, c.Image); err != nil {
		return errored("%v", err)
	} else if id == "" {
		return fail("image %s is not in the local Docker store; build it first (docker build -t %s .)", c.Image, c.Image)
	}
	res, err := images.Smoke(ctx, c.Image, probe)
	switch {
	case ctx.Err() != nil:
		return fail("container %s did not finish its checks before the check's timeout", c.Image)
	case res == nil && err != nil:
		if errors.Is(err, images.ErrNotReady) {
			return fail("%v", err)
		}
		return errored("running container %s: %v", c.Image, err)
	}
	if !c.AllowRoot && res.RunsAsRoot {
		user := res.User
		if user == "" {
			user = "root (no USER in the image)"
		}
		return fail("container %s runs as %s; set a non-root USER in the Dockerfile", c.Image, user)
	}
	for i, r := range c.Requests {
		if i >= len(res.Answers) {
			return fail("%s %s got no answer: %v", cmp.Or(r.Method, "GET"), r.Path, err)
		}
		a := res.Answers[i]
		want := r.Status
		if want == 0 {
			want = 200
		}
		if a.Status != want {
			return fail("%s %s answered %d, want %d%s", cmp.Or(r.Method, "GET"), r.Path, a.Status, want, snippet([]byte(a.Body)))
		}
		if b := r.LatencyBudget.Duration; b > 0 && a.Latency > b {
			return fail("%s %s took %s, over the budget of %s", cmp.Or(r.Method, "GET"), r.Path, a.Latency.Round(time.Millisecond), b)
		}
	}
	o := pass()
	o.Message = fmt.Sprintf("ready after %s", res.Ready.Round(100*time.Millisecond))
	return o
}
