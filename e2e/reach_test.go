//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/checks"
	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/doctor"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/spec"
)

// childEnv makes the e2e test binary run one container check instead of the
// tests (see TestMain), so that the check can run in a network namespace
// of its own.
const childEnv = "LABGRADE_E2E_CHILD"

const unreachableImage = "labgrade.local/model-server:e2e-reach"

// runUnreachableChild grades a good image with a container check and prints
// the outcome as JSON: the parent runs it where no published port can be
// reached.
func runUnreachableChild() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := &spec.ContainerCheck{Image: unreachableImage, StartupBudget: spec.Duration{Duration: 5 * time.Second}}
	c := &spec.Check{ID: "image", Timeout: spec.Duration{Duration: time.Minute}, Kinds: spec.Kinds{Container: k}}
	k.Default(c)
	var v childVerdict
	v.Outcome, v.Message = checks.Verdict(checks.Run(ctx, checks.Env{}, c))
	_ = json.NewEncoder(os.Stdout).Encode(v)
}

// childVerdict is what the child reports of its check.
type childVerdict struct {
	Outcome result.Outcome `json:"outcome"`
	Message string         `json:"message"`
}

// TestContainerUnreachable runs a container check of a good image from a
// network namespace that holds only a loopback interface that is down, as
// labgrade in a job container that cannot reach the engine's host would:
// the Docker engine still answers on its unix socket, but no address
// reaches the container's published port. The check must end as an
// environment error naming each address it tried, within its startup
// budget, never as the learner's failure; and labgrade doctor must say the
// same, while outside the namespace it names the address that works.
func TestContainerUnreachable(t *testing.T) {
	t.Parallel() // light: runs beside TestLabK8sServing (see there)
	lane(t, 39)
	unshare, err := exec.LookPath("unshare")
	require.NoError(t, err, "unshare (util-linux) runs the check in a network namespace of its own")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	step := stepper(t)
	require.NoError(t, docker.Build(ctx, docker.ImageSpec{Ref: unreachableImage, Dir: filepath.Join(repoRoot, "fixtures", "images", "model-server"), GOARCH: "amd64"}))
	step("image build")

	cmd := exec.CommandContext(ctx, unshare, "--net", "--", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=container-unreachable")
	start := time.Now()
	out, err := cmd.Output()
	require.NoError(t, err, "child: %s", errText(err))
	var o childVerdict
	require.NoError(t, json.Unmarshal(out, &o), string(out))
	assert.Equal(t, result.Error, o.Outcome, "the host's fault is an environment error: %s", o.Message)
	assert.Contains(t, o.Message, "cannot reach the container's published port")
	assert.Contains(t, o.Message, "127.0.0.1:", "the message names the address tried")
	assert.Contains(t, o.Message, docker.EnvContainerHost, "and how to say where ports answer")
	assert.Less(t, time.Since(start), 60*time.Second, "it gives up after the startup budget, not the check's timeout")
	step("check: environment error")

	d := labgrade(t, ctx, "doctor", "-o", "json")
	findings := doctorFindings(t, d)
	require.Contains(t, findings, "containers", d.stderr)
	assert.Equal(t, doctor.OK, findings["containers"].Status, findings["containers"].Detail)
	assert.Contains(t, findings["containers"].Detail, "published ports answer at ")
	step("doctor: reachable")

	nsDoctor := exec.CommandContext(ctx, unshare, "--net", "--", labgradeBin, "doctor", "-o", "json")
	nsDoctor.Dir = repoRoot
	nsDoctor.Env = os.Environ()
	out, _ = nsDoctor.Output() // exit 2: a finding failed
	findings = doctorFindings(t, cli{stdout: string(out)})
	require.Contains(t, findings, "containers", string(out))
	assert.Equal(t, doctor.Fail, findings["containers"].Status)
	assert.Contains(t, findings["containers"].Detail, "127.0.0.1:")
	assert.Contains(t, findings["containers"].Fix, docker.EnvContainerHost)
	step("doctor: unreachable")
}

func doctorFindings(t *testing.T, c cli) map[string]doctor.Finding {
	t.Helper()
	var fs []doctor.Finding
	require.NoError(t, json.Unmarshal([]byte(c.stdout), &fs), "doctor -o json: %s %s", c.stdout, c.stderr)
	out := map[string]doctor.Finding{}
	for _, f := range fs {
		out[f.Check] = f
	}
	return out
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return fmt.Sprintf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return fmt.Sprint(err)
}
