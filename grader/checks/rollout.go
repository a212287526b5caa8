package checks

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runRollout) }

// settle is how long traffic keeps flowing after a rollout completes, so
// that failures from the last old pods' shutdown are counted.
const settle = 5 * time.Second

// runRollout sets the new image under steady traffic and judges the
// rollout by the requests, the ready endpoints and its duration.
func runRollout(ctx context.Context, env Env, r *spec.RolloutCheck) (string, error) {
	d, idx, err := prepare(ctx, env, r.DeploymentUpdate)
	if err != nil {
		return "", err
	}
	replicas, floor := minAvailable(d)
	lg, err := startTraffic(ctx, env, r.Traffic)
	if err != nil {
		return "", err
	}
	defer lg.delete()
	eps := watchReadyEndpoints(ctx, env, r.Service)
	defer eps.close()

	start := time.Now()
	eps.from(start)
	if err := setImage(ctx, env, d, idx, r.Image); err != nil {
		return "", fmt.Errorf("setting the image of Deployment/%s: %v", d.Name, err)
	}
	dl, cancel := context.WithTimeout(ctx, r.Deadline.Duration)
	final, done := waitDeployment(dl, env, d.Name, func(x *appsv1.Deployment) bool {
		return x.Generation > d.Generation && complete(x)
	})
	cancel()
	took := time.Since(start)
	if ctx.Err() != nil {
		return "", errInterrupted
	}
	sleepCtx(ctx, settle)
	sum, err := lg.stop(ctx)
	if err != nil {
		return "", err
	}

	if err := runsImage(final, idx, r.Image); err != nil {
		return "", err
	}
	var problems []string
	if !done {
		problems = append(problems, fmt.Sprintf("the rollout to %s did not complete within %s (%s)", r.Image, r.Deadline.Duration, describeStatus(final)))
	}
	if sum.Failed > 0 || sum.Sent == 0 {
		// what else happened meanwhile tells a strategy that dropped
		// requests from a server that restarted or a probe that failed
		during := ""
		if restarts := eps.restartsSince(); restarts != "" {
			during += "; meanwhile " + restarts
		}
		if flaps := eps.flaps(); len(flaps) > 0 {
			during += fmt.Sprintf("; meanwhile the readiness probe of %s failed for a while", strings.Join(flaps[:min(len(flaps), maxDescribed)], ", "))
		}
		problems = append(problems, sum.String()+" during the rollout"+during)
	}
	if low := eps.lowest(); low < floor {
		at, saw := eps.lowestSeen()
		problems = append(problems, fmt.Sprintf("the rollout left service %s %d endpoints, %.1fs in, below %d (replicas %d - maxUnavailable %d); its endpoints then: %s",
			r.Service, low, at.Seconds(), floor, replicas, replicas-floor, saw))
	}
	if len(problems) > 0 {
		return "", Failf("%s", strings.Join(problems, "; "))
	}
	evidence := fmt.Sprintf("rolled out to %s in %.0fs; %d requests, none failed; the rollout never left fewer than %d endpoints",
		r.Image, took.Seconds(), sum.Sent, floor)
	if flaps := eps.flaps(); len(flaps) > 0 {
		evidence += fmt.Sprintf(" (the readiness probe of %s failed for a while meanwhile: not a pod taken away)", strings.Join(flaps, ", "))
	}
	return evidence, nil
}
