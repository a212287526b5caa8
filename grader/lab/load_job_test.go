package lab

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/spec"
)

const jobLab = `apiVersion: labgrade.dev/v1alpha1
kind: Lab
metadata: {name: demo}
spec:
  title: Demo
  namespace: demo
  passingScore: 70
  checks:
  - id: bad-data
    title: Bad data fails the run at once
    points: 10
    job:
      cronJob: retrain
      env: {DATASET_VERSION: "2027-01"}
      outcome: Failed
      reason: PodFailurePolicy
      maxAttempts: 1
      query: {service: registry, port: 80, path: /models}
      cel: ["after.production == before.production", "job.attempts == 1"]
  - id: runs
    title: A run completes
    points: 5
    job: {cronJob: retrain}
`

// A job check loads with its defaults, is disruptive and about its
// CronJob; each mistake an author can make in it is refused at its place.
func TestLoadJob(t *testing.T) {
	l, err := Load(writeLab(t, jobLab))
	require.NoError(t, err)
	c, _ := l.Check("bad-data")
	require.NotNil(t, c.Job)
	assert.Equal(t, map[string]string{"DATASET_VERSION": "2027-01"}, c.Job.Env)
	assert.Equal(t, 60*time.Second, c.Job.Deadline.Duration, "default deadline")
	assert.Equal(t, 135*time.Second, c.Timeout.Duration, "the deadline, the grace of a run whose pods ended, and room for the queries")
	assert.True(t, c.IsDisruptive(), "a run changes the cluster")
	assert.False(t, c.IsQuick())
	_, kind, name := c.Subject()
	assert.Equal(t, "CronJob/retrain", kind+"/"+name)
	progs, err := c.Job.Programs()
	require.NoError(t, err)
	assert.Len(t, progs, 2)
	plain, _ := l.Check("runs")
	assert.Equal(t, spec.JobComplete, plain.Job.Outcome, "a run is expected to complete unless the lab says otherwise")
	assert.Nil(t, plain.Job.Query)

	cases := []struct{ name, old, new, want string }{
		{"reason without failure", "      outcome: Failed\n", "", `15:15: reason in check "bad-data" is the reason of a Failed run`},
		{"unknown outcome", "outcome: Failed", "outcome: Succeeded", `15:16: outcome "Succeeded" in check "bad-data" must be Complete or Failed`},
		{"bad CronJob name", "cronJob: retrain\n      env", "cronJob: Retrain_1\n      env", `13:16: cronJob "Retrain_1" in check "bad-data" is not a valid CronJob name`},
		{"bad variable name", "{DATASET_VERSION:", "{1DATASET:", `14:23: env "1DATASET" in check "bad-data" is not a valid variable name`},
		{"negative attempts", "maxAttempts: 1", "maxAttempts: -1", `17:20: maxAttempts in check "bad-data" must be at least 1`},
		{"query path", "path: /models", "path: models", `18:50: query path in check "bad-data" must start with '/'`},
		{"port is required", "query: {service: registry, port: 80,", "query: {service: registry,", `18:14: missing required field "port" in check "bad-data"`},
		{"before without query", "    job: {cronJob: retrain}\n", "    job: {cronJob: retrain, cel: ['after.version > 1']}\n", `23:35: cel[0] in check "runs" uses before or after, which only a query gives`},
		{"CEL typo", "job.attempts == 1", "job.attempts ==", `19:54: check "bad-data": CEL "job.attempts =="`},
		{"cronJob is required", "    job: {cronJob: retrain}\n", "    job: {deadline: 30s}\n", `23:10: missing required field "cronJob" in check "runs"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Contains(t, jobLab, c.old)
			_, err := Load(writeLab(t, strings.Replace(jobLab, c.old, c.new, 1)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
