//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
// The data-versioning lab is proven in the same cluster at the same time,
// given to lab test as an existing one (--kubeconfig/--context): its cases
// run the learner's ETL CronJob four times (two batches, one of them
// twice, and a batch with bad rows) and the training CronJob twice, judged
// by the dataset store's audit. Both labs' cases mostly wait for pods to
// start and Jobs to end, so sharing the cluster and the time saves a kind
// create and most of the second lab's wall time.
func TestLabTrainingPipeline(t *testing.T) {
	t.Parallel()
	lane(t, 180)
	name := cluster.ClusterName("training-pipeline")
	t.Cleanup(func() {
		res := labgrade(t, context.Background(), "down", "training-pipeline", "--labs-dir", filepath.Join(repoRoot, "labs"))
		assert.Equal(t, 0, res.code, res.stderr)
		assertNoClusterContainers(t, name)
	})
	up, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	res := labgrade(t, up, "up", "training-pipeline", "--labs-dir", filepath.Join(repoRoot, "labs"))
	cancel()
	require.Equal(t, 0, res.code, res.stderr)
	t.Logf("labgrade up training-pipeline in %.1fs", res.took.Seconds())
	for lab, flags := range map[string][]string{
		"training-pipeline": nil,
		"data-versioning":   {"--kubeconfig", cluster.KubeconfigPath(name), "--context", cluster.Context(name)},
	} {
		t.Run(lab, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			proveLab(t, ctx, filepath.Join(repoRoot, "labs", lab), flags...)
		})
	}
}
