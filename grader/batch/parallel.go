package batch

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Host capacity a grading takes on a kind cluster, whose one node is this
// host. What bounds parallel gradings is what their pods request from the
// node's scheduler, not labgrade's own CPU (a grading mostly waits on
// rollouts and traffic phases of set length): k8s-serving's solution asks
// at most 0.24 cores at a rollout's peak (serving pods, the surge pod,
// pods draining in preStop, the drift monitor: 0.14; the grader's load
// generator, 1 millicore per request a second: 0.1), which 0.25 holds.
// A submission that asks more waits for room longer. Kubernetes
// itself requests about 0.9 cores of the node. Memory: a submission's
// pods (two or three model servers, a load generator, a drift monitor)
// stay under 400 MiB, and the node's control plane needs about 1.5 GiB.
const (
	coresPerGrading    = 0.25
	coresOfKubernetes  = 0.9
	bytesPerGrading    = 400 << 20
	bytesOfKubernetes  = 1536 << 20
	maxDefaultParallel = 16
)

// Capacity is what DefaultParallel was chosen from, for the line that
// prints it.
type Capacity struct {
	CPUs int
	// AvailableBytes is the host's available memory (0: unknown).
	AvailableBytes uint64
	Parallel       int
	// Bound names what limited Parallel: "cpu", "memory" or "cap".
	Bound string
}

func (c Capacity) String() string {
	mem := "memory unknown"
	if c.AvailableBytes > 0 {
		mem = fmt.Sprintf("%.1f GiB memory available", float64(c.AvailableBytes)/(1<<30))
	}
	return fmt.Sprintf("%d at once (%d CPUs, %s; bound by %s; --parallel to change)", c.Parallel, c.CPUs, mem, c.Bound)
}

// DefaultParallel is how many submissions to grade at once on this host.
func DefaultParallel() Capacity {
	return capacity(runtime.NumCPU(), availableMemory())
}

func capacity(cpus int, avail uint64) Capacity {
	c := Capacity{CPUs: cpus, AvailableBytes: avail, Bound: "cpu"}
	c.Parallel = max(1, int((float64(cpus)-coresOfKubernetes)/coresPerGrading))
	if avail > 0 {
		byMem := 1
		if avail > bytesOfKubernetes {
			byMem = max(1, int((avail-bytesOfKubernetes)/bytesPerGrading))
		}
		if byMem < c.Parallel {
			c.Parallel, c.Bound = byMem, "memory"
		}
	}
	if c.Parallel > maxDefaultParallel {
		// beyond this, API-server load and the scheduler's queue, not the
		// host, set the pace: ask for more with --parallel
		c.Parallel, c.Bound = maxDefaultParallel, "cap"
	}
	return c
}

// FitCPU is how many gradings the cluster's free CPU (millicores the
// scheduler can still give, cluster.Clients.FreeCPU) holds side by side,
// at least 1.
func FitCPU(freeMilli int64) int {
	return max(1, int(float64(freeMilli)/1000/coresPerGrading))
}

// availableMemory reads MemAvailable from /proc/meminfo (0 where there is
// none, as on macOS: then only the CPUs count).
func availableMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
