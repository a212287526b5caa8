package checks

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/spec"
)

// settle is how long traffic keeps flowing after a rollout completes, so
// that failures from the last old pods' shutdown are counted.
const settle = 5 * time.Second

// prepare reads the Deployment and checks it is fully rolled out before the
// grader touches it.
func prepare(ctx context.Context, env Env, u spec.DeploymentUpdate) (*appsv1.Deployment, int, *Outcome) {
	d, err := env.Clients.Typed.AppsV1().Deployments(env.Namespace).Get(ctx, u.Deployment, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		o := fail("Deployment/%s not found", u.Deployment)
		return nil, 0, &o
	}
	if err != nil {
		o := errored("reading Deployment/%s: %v", u.Deployment, err)
		return nil, 0, &o
	}
	idx, err := containerIndex(d, u.Container)
	if err != nil {
		o := fail("%v", err)
		return nil, 0, &o
	}
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	d, ok := waitDeployment(readyCtx, env, u.Deployment, complete)
	if !ok {
		o := fail("Deployment/%s was not fully rolled out and ready before the check (%s)", u.Deployment, describeStatus(d))
		return nil, 0, &o
	}
	return d, idx, nil
}

func runRollout(ctx context.Context, env Env, r *spec.RolloutCheck) Outcome {
	d, idx, bad := prepare(ctx, env, r.DeploymentUpdate)
	if bad != nil {
		return *bad
	}
	replicas, floor := minAvailable(d)
	lg, bad := startTraffic(ctx, env, r.Traffic)
	if bad != nil {
		return *bad
	}
	defer lg.delete()
	eps := watchReadyEndpoints(ctx, env, r.Service)
	defer eps.close()

	start := time.Now()
	if err := setImage(ctx, env, d, idx, r.Image); err != nil {
		return errored("setting the image of Deployment/%s: %v", d.Name, err)
	}
	dl, cancel := context.WithTimeout(ctx, r.Deadline.Duration)
	final, done := waitDeployment(dl, env, d.Name, func(x *appsv1.Deployment) bool {
		return x.Generation > d.Generation && complete(x)
	})
	cancel()
	took := time.Since(start)
	if ctx.Err() != nil {
		return errored("interrupted")
	}
	sleepCtx(ctx, settle)
	sum, err := lg.stop(ctx)
	if err != nil {
		return errored("%v", err)
	}

	var problems []string
	if !done {
		problems = append(problems, fmt.Sprintf("the rollout to %s did not complete within %s (%s)", r.Image, r.Deadline.Duration, describeStatus(final)))
	}
	if sum.Failed > 0 || sum.Sent == 0 {
		problems = append(problems, sum.String()+" during the rollout")
	}
	if low := eps.lowest(); low < floor {
		problems = append(problems, fmt.Sprintf("ready endpoints of service %s fell to %d, below replicas %d - maxUnavailable = %d", r.Service, low, replicas, floor))
	}
	if len(problems) > 0 {
		return fail("%s", strings.Join(problems, "; "))
	}
	return Outcome{Outcome: result.Pass, Message: fmt.Sprintf("rolled out to %s in %.0fs; %d requests, none failed; ready endpoints never below %d",
		r.Image, took.Seconds(), sum.Sent, floor)}
}

func runRolloutHalts(ctx context.Context, env Env, r *spec.RolloutHaltsCheck) Outcome {
	d, idx, bad := prepare(ctx, env, r.DeploymentUpdate)
	if bad != nil {
		return *bad
	}
	pds := int32(600) // the API's default
	if d.Spec.ProgressDeadlineSeconds != nil {
		pds = *d.Spec.ProgressDeadlineSeconds
	}
	deadline := time.Duration(pds) * time.Second
	if deadline > r.MaxProgressDeadline.Duration {
		return fail("progressDeadlineSeconds is %d: a stuck rollout would go unnoticed that long; the lab accepts at most %s", pds, r.MaxProgressDeadline.Duration)
	}
	previous := d.Spec.Template.Spec.Containers[idx].Image
	lg, bad := startTraffic(ctx, env, r.Traffic)
	if bad != nil {
		return *bad
	}
	defer lg.delete()

	if err := setImage(ctx, env, d, idx, r.Image); err != nil {
		return errored("setting the image of Deployment/%s: %v", d.Name, err)
	}
	// The controller checks progress periodically; allow it a margin.
	dl, cancel := context.WithTimeout(ctx, deadline+30*time.Second)
	final, halted := waitDeployment(dl, env, d.Name, func(x *appsv1.Deployment) bool {
		return x.Generation > d.Generation && progressDeadlineExceeded(x)
	})
	cancel()
	if ctx.Err() != nil {
		return errored("interrupted")
	}
	sum, err := lg.stop(ctx)
	if err != nil {
		return errored("%v", err)
	}
	// Put the previous version back, so later checks see a serving app.
	restoreNote := ""
	if cur, err := env.Clients.Typed.AppsV1().Deployments(env.Namespace).Get(ctx, d.Name, metav1.GetOptions{}); err == nil {
		if err := setImage(ctx, env, cur, idx, previous); err == nil {
			rc, cancel := context.WithTimeout(ctx, 2*time.Minute)
			if _, ok := waitDeployment(rc, env, d.Name, func(x *appsv1.Deployment) bool { return x.Generation > cur.Generation && complete(x) }); !ok {
				restoreNote = fmt.Sprintf("; restoring %s did not complete in 2m", previous)
			}
			cancel()
		}
	}

	var problems []string
	if !halted {
		problems = append(problems, fmt.Sprintf("the Deployment did not report ProgressDeadlineExceeded within progressDeadlineSeconds %d (+30s) for an image that never becomes ready (%s)", pds, describeStatus(final)))
	}
	if sum.Failed > 0 || sum.Sent == 0 {
		problems = append(problems, sum.String()+" while the bad version was rolling out")
	}
	if len(problems) > 0 {
		return fail("%s%s", strings.Join(problems, "; "), restoreNote)
	}
	return Outcome{Outcome: result.Pass, Message: fmt.Sprintf("halted after progressDeadlineSeconds %d; %d requests, none failed%s", pds, sum.Sent, restoreNote)}
}

func describeStatus(d *appsv1.Deployment) string {
	if d == nil {
		return "not found"
	}
	s := d.Status
	return fmt.Sprintf("replicas %d, updated %d, ready %d, available %d", s.Replicas, s.UpdatedReplicas, s.ReadyReplicas, s.AvailableReplicas)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
