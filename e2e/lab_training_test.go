//go:build e2e

package e2e

import "testing"

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
	lane(t, 122)
	proveLabAlone(t, "training-pipeline")
}
