package checks

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runRolloutHalts) }

// runRolloutHalts sets an image that never becomes ready under steady
// traffic, judges how the Deployment and its Service bear it, and puts the
// previous image back.
func runRolloutHalts(ctx context.Context, env Env, r *spec.RolloutHaltsCheck) (string, error) {
	d, idx, err := prepare(ctx, env, r.DeploymentUpdate)
	if err != nil {
		return "", err
	}
	pds := int32(600) // the API's default
	if d.Spec.ProgressDeadlineSeconds != nil {
		pds = *d.Spec.ProgressDeadlineSeconds
	}
	deadline := time.Duration(pds) * time.Second
	if deadline > r.MaxProgressDeadline.Duration {
		return "", Failf("progressDeadlineSeconds is %d: a stuck rollout would go unnoticed that long; the lab accepts at most %s", pds, r.MaxProgressDeadline.Duration)
	}
	previous := d.Spec.Template.Spec.Containers[idx].Image
	lg, err := startTraffic(ctx, env, r.Traffic)
	if err != nil {
		return "", err
	}
	defer lg.delete()

	if err := setImage(ctx, env, d, idx, r.Image); err != nil {
		return "", fmt.Errorf("setting the image of Deployment/%s: %v", d.Name, err)
	}
	// The controller checks progress periodically; allow it a margin.
	dl, cancel := context.WithTimeout(ctx, deadline+30*time.Second)
	final, halted := waitDeployment(dl, env, d.Name, func(x *appsv1.Deployment) bool {
		return x.Generation > d.Generation && progressDeadlineExceeded(x)
	})
	cancel()
	if ctx.Err() != nil {
		return "", errInterrupted
	}
	sum, err := lg.stop(ctx)
	if err != nil {
		return "", err
	}
	changed := runsImage(final, idx, r.Image)
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

	if changed != nil {
		return "", changed
	}
	var problems []string
	if !halted {
		problems = append(problems, fmt.Sprintf("the Deployment did not report ProgressDeadlineExceeded within progressDeadlineSeconds %d (+30s) for an image that never becomes ready (%s)", pds, describeStatus(final)))
	}
	if sum.Failed > 0 || sum.Sent == 0 {
		problems = append(problems, sum.String()+" while the bad version was rolling out")
	}
	if len(problems) > 0 {
		return "", Failf("%s%s", strings.Join(problems, "; "), restoreNote)
	}
	return fmt.Sprintf("halted after progressDeadlineSeconds %d; %d requests, none failed%s", pds, sum.Sent, restoreNote), nil
}
