//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestLabTrainingPipeline proves the training-pipeline lab with labgrade
// lab test on a cluster of its own: the solution scores 100 % and every
// broken variant fails exactly what it declares. Its job checks run the
// learner's CronJob for real (three trainings per case), so this is also
// the end-to-end test of the job check kind: a run that completes and
// promotes, one that must not promote, one that must fail at once, and
// (broken/wrong-secret-key) runs whose pods never start, which must fail
// at once rather than wait out their deadline.
func TestLabTrainingPipeline(t *testing.T) {
	t.Parallel()
	lane(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		res := labgrade(t, context.Background(), "down", "training-pipeline")
		assert.Equal(t, 0, res.code, res.stderr)
		assertNoClusterContainers(t, "labgrade-training-pipeline")
	})
	proveLab(t, ctx, filepath.Join(repoRoot, "labs", "training-pipeline"))
}
