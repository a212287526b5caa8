//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/labgrade/labgrade/grader/cluster"
)

// TestLabTrainingPipeline proves the training-pipeline lab with labgrade
// lab test on a cluster of its own: the solution scores 100 % and every
// broken variant fails exactly what it declares. Its job checks run the
// learner's CronJob for real (three trainings per case), so this is also
// the end-to-end test of the job check kind: a run that completes and
// promotes, one that must not promote, one that must fail at once, and
// (broken/wrong-secret-key) runs whose pods never start, which must fail
// at once rather than wait out their deadline.
//
// The data-versioning lab is then proven in the same cluster, given to
// lab test as an existing one (--kubeconfig/--context): its cases run the
// learner's ETL CronJob four times (two batches, one of them twice, and a
// batch with bad rows) and the training CronJob twice, judged by the
// dataset store's audit. Sharing the cluster saves a kind create.
func TestLabTrainingPipeline(t *testing.T) {
	t.Parallel()
	lane(t, 222)
	proveLabAlone(t, "training-pipeline")
	t.Run("data-versioning", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		name := cluster.ClusterName("training-pipeline")
		proveLab(t, ctx, filepath.Join(repoRoot, "labs", "data-versioning"),
			"--kubeconfig", cluster.KubeconfigPath(name), "--context", cluster.Context(name))
	})
}
