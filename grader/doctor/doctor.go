// Package doctor checks that this host can run labgrade's kind clusters and
// says, for each finding, how to fix it: the Docker engine, privileged
// containers, the node image, where containers' published ports answer, memory, disk, cgroups, inotify limits, and
// clusters left running.
package doctor

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/docker"
)

// Status of one finding.
type Status string

// Statuses.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Finding is one line of the doctor's report.
type Finding struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	// Fix says what to do, when the status is not ok.
	Fix string `json:"fix,omitempty"`
}

// Host is what the doctor reads from the machine; tests give their own.
type Host struct {
	Engine        func(ctx context.Context) (docker.Engine, error)
	NodeImage     func(ctx context.Context) (image, why string)
	LocalImageID  func(ctx context.Context, ref string) (string, error)
	RunPrivileged func(ctx context.Context, image string, cmd ...string) (int, error)
	// ReachProbe finds where containers' published ports answer.
	ReachProbe    func(ctx context.Context, image string) (docker.Candidate, error)
	Clusters      func() ([]string, error)
	MemAvailable  func() (int64, error)
	FreeDisk      func(dir string) (int64, error)
	InotifyLimits func() (instances, watches int64, err error)
}

// Real is this machine.
func Real(nodeImageFlag string) Host {
	kind := cluster.NewKind()
	return Host{
		Engine:        docker.DescribeEngine,
		NodeImage:     func(ctx context.Context) (string, string) { return cluster.ResolveNodeImage(ctx, nodeImageFlag) },
		LocalImageID:  docker.LocalImageID,
		RunPrivileged: docker.RunPrivileged,
		ReachProbe:    docker.ReachProbe,
		Clusters:      kind.List,
		MemAvailable:  memAvailable,
		FreeDisk:      freeDisk,
		InotifyLimits: inotifyLimits,
	}
}

const gib = 1 << 30

// Examine runs every check. A check that cannot run because an earlier one
// failed (no Docker, no image) is reported as such.
func Examine(ctx context.Context, h Host) []Finding {
	var out []Finding
	add := func(check string, s Status, detail, fix string) {
		out = append(out, Finding{Check: check, Status: s, Detail: detail, Fix: fix})
	}
	eng, err := h.Engine(ctx)
	if err != nil {
		add("docker", Fail, err.Error(), "start a Docker engine (on Debian/Ubuntu as root: make e2e-env, or systemctl start docker)")
		return out
	}
	add("docker", OK, fmt.Sprintf("Docker %s answers (root dir %s)", eng.Version, eng.RootDir), "")

	switch eng.CgroupVersion {
	case "2":
		add("cgroups", OK, fmt.Sprintf("cgroup v2, %s driver", eng.CgroupDriver), "")
	default:
		add("cgroups", Warn, fmt.Sprintf("cgroup v%s, %s driver: current kubelets refuse cgroup v1 unless told", eng.CgroupVersion, eng.CgroupDriver),
			"nothing to do for labgrade (its clusters set failCgroupV1: false); other kind clusters may need it")
	}

	image, why := h.NodeImage(ctx)
	shown := image
	if shown == "" {
		shown = cluster.DefaultNodeImage
	}
	id, err := h.LocalImageID(ctx, shown)
	switch {
	case err != nil:
		add("node image", Fail, err.Error(), "check the Docker engine")
	case id == "":
		add("node image", Warn, fmt.Sprintf("%s is not local (%s); kind will pull it", shown, why),
			"where no registry is reachable, build one offline: make e2e-env (see docs/offline-kind.md)")
	default:
		add("node image", OK, fmt.Sprintf("%s is local (%s)", shown, why), "")
		pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		code, err := h.RunPrivileged(pctx, shown, "/bin/true")
		cancel()
		switch {
		case err != nil:
			add("privileged", Fail, "a privileged container of the node image did not run: "+err.Error(),
				"kind nodes are privileged containers; on hosts whose bounding set lacks CAP_SYS_RESOURCE use the runc wrapper of make e2e-env")
		case code != 0:
			add("privileged", Fail, fmt.Sprintf("a privileged container exited %d", code), "see the Docker daemon's log")
		default:
			add("privileged", OK, "privileged containers run", "")
		}
		// container checks reach the containers they start through
		// their published ports; where those answer depends on the host
		pctx, cancel = context.WithTimeout(ctx, 60*time.Second)
		at, err := h.ReachProbe(pctx, shown)
		cancel()
		if err != nil {
			add("containers", Fail, "published ports of containers cannot be reached: "+err.Error(),
				"container checks need it: set "+docker.EnvContainerHost+" (or --container-host) to the address where this engine publishes ports")
		} else {
			add("containers", OK, "published ports answer at "+at.String(), "")
		}
	}

	if avail, err := h.MemAvailable(); err == nil {
		s, fix := OK, ""
		switch {
		case avail < 1*gib:
			s, fix = Fail, "a one-node cluster and the lab's pods need about 2 GiB: stop other clusters or programs"
		case avail < 2*gib:
			s, fix = Warn, "a one-node cluster and the lab's pods need about 2 GiB: expect slow or failing pods"
		}
		add("memory", s, fmt.Sprintf("%.1f GiB available", float64(avail)/gib), fix)
	}
	if free, err := h.FreeDisk(eng.RootDir); err == nil {
		s, fix := OK, ""
		switch {
		case free < 2*gib:
			s, fix = Fail, "free space under "+eng.RootDir+" (docker system prune removes unused images)"
		case free < 5*gib:
			s, fix = Warn, "a node image and the lab's images take a few GiB: free space under "+eng.RootDir
		}
		add("disk", s, fmt.Sprintf("%.1f GiB free under %s", float64(free)/gib, eng.RootDir), fix)
	}
	if inst, watches, err := h.InotifyLimits(); err == nil {
		if inst < 512 || watches < 65536 {
			add("inotify", Warn, fmt.Sprintf("fs.inotify.max_user_instances=%d, max_user_watches=%d", inst, watches),
				"kind nodes run out of inotify instances: sysctl fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288")
		} else {
			add("inotify", OK, fmt.Sprintf("max_user_instances=%d, max_user_watches=%d", inst, watches), "")
		}
	}
	if names, err := h.Clusters(); err == nil {
		var ours []string
		for _, n := range names {
			if strings.HasPrefix(n, cluster.ClusterName("")) {
				ours = append(ours, n)
			}
		}
		switch {
		case len(ours) > 0:
			add("clusters", Warn, fmt.Sprintf("kind clusters running: %s", strings.Join(names, ", ")),
				"each takes memory; remove labgrade's with labgrade down LAB (or kind delete cluster --name NAME)")
		case len(names) > 0:
			add("clusters", Warn, fmt.Sprintf("other kind clusters running: %s", strings.Join(names, ", ")), "each takes memory and CPU")
		default:
			add("clusters", OK, "no kind cluster running", "")
		}
	}
	return out
}

// Write prints one line per finding, with the fix under it.
func Write(w io.Writer, fs []Finding) {
	for _, f := range fs {
		fmt.Fprintf(w, "%-4s  %-10s  %s\n", f.Status, f.Check, f.Detail)
		if f.Fix != "" {
			fmt.Fprintf(w, "                  fix: %s\n", f.Fix)
		}
	}
}

// Failed reports whether any finding failed.
func Failed(fs []Finding) bool {
	for _, f := range fs {
		if f.Status == Fail {
			return true
		}
	}
	return false
}

func memAvailable() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no MemAvailable in /proc/meminfo")
}

func freeDisk(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}

func inotifyLimits() (int64, int64, error) {
	read := func(name string) (int64, error) {
		b, err := os.ReadFile("/proc/sys/fs/inotify/" + name)
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	inst, err := read("max_user_instances")
	if err != nil {
		return 0, 0, err
	}
	watches, err := read("max_user_watches")
	return inst, watches, err
}
