package checks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runContainer) }

// runContainer runs the image as a plain container on the host and judges
// it: ready within the budget, not root, every request answered as
// expected. It shares docker.Smoke with the fixture images' own smoke
// tests, so a lab grades a learner's image exactly as labgrade tests its
// own.
func runContainer(ctx context.Context, _ Env, c *spec.ContainerCheck) (string, error) {
	probe := docker.Probe{
		Port: fmt.Sprintf("%d/tcp", c.Port), ReadyPath: c.ReadyPath,
		Env: c.Env, Timeout: c.StartupBudget.Duration,
	}
	for _, r := range c.Requests {
		probe.Requests = append(probe.Requests, docker.Request{Method: r.Method, Path: r.Path, Body: r.Body})
	}
	if id, err := docker.LocalImageID(ctx, c.Image); err != nil {
		return "", err
	} else if id == "" {
		return "", Failf("image %s is not in the local Docker store; build it first (docker build -t %s .)", c.Image, c.Image)
	}
	res, err := docker.Smoke(ctx, c.Image, probe)
	switch {
	case ctx.Err() != nil:
		return "", Failf("container %s did not finish its checks before the check's timeout", c.Image)
	case res == nil && err != nil:
		if errors.Is(err, docker.ErrNotReady) {
			return "", Failf("%w", err)
		}
		// docker.ErrUnreachable lands here too: the host's networking
		// hides the container, which no learner can be blamed for.
		return "", fmt.Errorf("running container %s: %v", c.Image, err)
	}
	if !c.AllowRoot && res.RunsAsRoot {
		user := res.User
		if user == "" {
			user = "root (no USER in the image)"
		}
		return "", Failf("container %s runs as %s; set a non-root USER in the Dockerfile", c.Image, user)
	}
	for i, r := range c.Requests {
		if i >= len(res.Answers) {
			return "", Failf("%s %s got no answer: %v", r.Method, r.Path, err)
		}
		a := res.Answers[i]
		if a.Status != r.Status {
			return "", Failf("%s %s answered %d, want %d%s", r.Method, r.Path, a.Status, r.Status, snippet([]byte(a.Body)))
		}
		if b := r.LatencyBudget.Duration; b > 0 && a.Latency > b {
			return "", Failf("%s %s took %s, over the budget of %s", r.Method, r.Path, a.Latency.Round(time.Millisecond), b)
		}
	}
	return fmt.Sprintf("ready after %s at %s", res.Ready.Round(100*time.Millisecond), res.Address), nil
}
