//go:build e2e

package e2e

import "testing"

// TestLabDataVersioning proves the data-versioning lab with labgrade lab
// test on a cluster of its own: the solution scores 100 % and every broken
// variant fails exactly what it declares. Each case runs the learner's ETL
// CronJob four times (two batches, one of them twice, and a batch with bad
// rows) and the training CronJob twice, one at a time, and judges them by
// the dataset store's audit.
func TestLabDataVersioning(t *testing.T) {
	t.Parallel()
	lane(t, 100)
	proveLabAlone(t, "data-versioning")
}
