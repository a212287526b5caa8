//go:build e2e

// Package e2e proves labgrade against real kind clusters. `make test` runs
// it after hack/e2e-env.sh has made a Docker engine and a node image
// available; LABGRADE_NODE_IMAGE names the image.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labgrade/labgrade/grader/cluster"
)

var (
	// labgradeBin is the CLI built once for all tests.
	labgradeBin string
	// repoRoot is the repository, for labs/ and fixtures/.
	repoRoot string
	// nodeImage is the kind node image every cluster uses.
	nodeImage string
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "container-unreachable" {
		runUnreachableChild()
		return
	}
	nodeImage = os.Getenv(cluster.EnvNodeImage)
	if nodeImage == "" {
		fmt.Fprintln(os.Stderr, "e2e: LABGRADE_NODE_IMAGE is not set; run the e2e tests with 'make test' (it prepares Docker and the node image)")
		os.Exit(1)
	}
	_, here, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(here))
	dir, err := os.MkdirTemp("", "labgrade-e2e-")
	if err != nil {
		panic(err)
	}
	labgradeBin = filepath.Join(dir, "labgrade")
	build := exec.Command("go", "build", "-o", labgradeBin, "./cmd/labgrade")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building labgrade failed: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	printLastWords()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lastWords holds what a failed test wants read first. The tests run in
// parallel and stream their logs, so a failure's cause lands in the middle
// of the output, while CI shows only its tail; TestMain prints these after
// every test has ended.
var lastWords struct {
	sync.Mutex
	lines []string
}

// sayLast records lines to be printed once every test has ended.
func sayLast(t *testing.T, lines ...string) {
	lastWords.Lock()
	defer lastWords.Unlock()
	lastWords.lines = append(lastWords.lines, t.Name()+":")
	for _, l := range lines {
		lastWords.lines = append(lastWords.lines, "    "+l)
	}
}

func printLastWords() {
	lastWords.Lock()
	defer lastWords.Unlock()
	if len(lastWords.lines) > 0 {
		fmt.Printf("e2e: what failed, said again:\n%s\n", strings.Join(lastWords.lines, "\n"))
	}
}

// cli is one finished labgrade invocation.
type cli struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// labgrade runs the CLI from the repository root and waits for it.
func labgrade(t *testing.T, ctx context.Context, args ...string) cli {
	t.Helper()
	return labgradeEnv(t, ctx, nil, args...)
}

// labgradeEnv is labgrade with more environment variables (KEY=value).
func labgradeEnv(t *testing.T, ctx context.Context, env []string, args ...string) cli {
	t.Helper()
	cmd := exec.CommandContext(ctx, labgradeBin, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(append(os.Environ(), cluster.EnvNodeImage+"="+nodeImage), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	res := cli{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("labgrade %v: %v", args, err)
	}
	return res
}
