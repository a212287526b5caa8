// Package runner grades labs. Its one door is the Session: Open one for a
// lab on a cluster (a new kind cluster, the lab's kind cluster, or any
// cluster a kubeconfig names), Grade submissions in it, each in a
// namespace the caller names (several at once if it likes), and Close it.
// Opening is a list of named, timed steps, as kind's create actions are;
// grading is another (namespace, setup, submission, checks), recorded as
// phases in each result.
//
// labgrade's commands are short compositions of it: run opens a new
// cluster, grades once and closes; check grades the lab's cluster as it
// stands; up prepares a namespace without checks; lab test and batch
// grade many submissions in parallel namespaces of one session.
package runner

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/report"
	"github.com/labgrade/labgrade/grader/result"
	"github.com/labgrade/labgrade/grader/spec"
)

// ClusterMode says where a session grades.
type ClusterMode int

const (
	// NewCluster creates the kind cluster labgrade-LAB and refuses to take
	// one that already exists (left by --keep or labgrade up).
	NewCluster ClusterMode = iota
	// ReuseCluster takes labgrade-LAB when it exists, else creates it (and
	// deletes it at Close unless KeepCluster).
	ReuseCluster
	// LabCluster requires labgrade-LAB to exist (labgrade check): nothing
	// is created, built or loaded.
	LabCluster
	// ExistingCluster grades in the cluster of Options.Kubeconfig and
	// Options.Context, which labgrade neither creates nor deletes.
	ExistingCluster
)

// Options of a session.
type Options struct {
	Lab     *lab.Lab
	Cluster ClusterMode
	// NodeImage for a new kind cluster ("" = $LABGRADE_NODE_IMAGE, else
	// kind's default).
	NodeImage string
	// Kubeconfig and Context select the cluster with ExistingCluster.
	Kubeconfig, Context string
	// Registry, with ExistingCluster, is where the lab's images are pushed
	// and pulled from instead of being loaded into kind nodes; the lab's
	// image references are mapped to it (cluster.ImageMap).
	Registry *cluster.ImageMap
	// KeepCluster leaves a cluster this session created running at Close.
	KeepCluster bool
	// Progress receives one line per step, with elapsed time.
	Progress io.Writer
	// Version is labgrade's version, recorded in results.
	Version string
}

// Session is one lab on one cluster, with its clients made and its images
// loaded once. Its methods may be called from several goroutines, each
// grading in its own namespace.
type Session struct {
	opts     Options
	provider provider
	start    time.Time

	clients *cluster.Clients
	// kindCluster is the kind cluster in use ("" for a cluster that is not
	// kind's, where images cannot be loaded).
	kindCluster string
	// created is set when this session created the cluster (and so may
	// delete it).
	created bool

	mu     sync.Mutex
	env    result.Environment
	phases []result.Phase

	// imagesMu is held while the lab's images are built and loaded, so a
	// grading that needs them waits for the one build; imagesDone is set
	// once they are in the cluster.
	imagesMu   sync.Mutex
	imagesDone bool
	imagesErr  error
	// fresh are the namespaces gradings have used: a namespace of a
	// cluster this session created is new until then, and needs no reset.
	fresh map[string]bool
	// nodeImage, when set, delivers the node image that a LabCluster
	// session asks Docker for in the background (see connectKnown).
	nodeImage <-chan string
	// builds are the lab's images built while the cluster is made.
	builds *imageBuilds
}

// step is one named part of opening a session.
type step struct {
	name string
	run  func(context.Context) error
}

// Open prepares the session's cluster: each step is timed and recorded.
// On error the session is still returned, so that Close removes what was
// made, and Failed turns the error into a result.
func Open(ctx context.Context, o Options) (*Session, error) {
	s := &Session{opts: o, provider: newProvider(), start: time.Now()}
	s.env = result.Environment{Labgrade: o.Version, Kind: KindVersion()}
	if d, err := o.Lab.Digest(); err == nil {
		s.env.LabDigest = d
	}
	steps := []step{{"cluster", s.ensureCluster}}
	if len(o.Lab.Spec.Cluster.Nodes) > 1 && o.Cluster != LabCluster && o.Cluster != ExistingCluster {
		steps = append(steps, step{"nodes", s.awaitNodesReady})
	}
	if o.Cluster != LabCluster && len(o.Lab.Spec.Cluster.Images) > 0 {
		s.builds = s.startBuilds(ctx)
	}
	if o.Cluster != LabCluster {
		// a new or reset namespace needs the lab's images; the lab's
		// cluster as it stands (check) already has them
		steps = append(steps, step{"images", s.ensureImages})
		if len(o.Lab.Spec.Cluster.Addons) > 0 {
			steps = append(steps, step{"addons", s.ensureAddons})
		}
	}
	for _, st := range steps {
		if err := s.timed(st.name, func() error { return st.run(ctx) }); err != nil {
			return s, err
		}
	}
	return s, nil
}

// firstUse reports whether ns is used for the first time in a cluster
// this session created (so it cannot hold anything yet).
func (s *Session) firstUse(ns string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.created || s.fresh[ns] {
		return false
	}
	if s.fresh == nil {
		s.fresh = map[string]bool{}
	}
	s.fresh[ns] = true
	return true
}

// DropNamespace starts deleting a namespace a grading is done with and
// does not wait: its pods would only take CPU from gradings still running.
// For an exclusive lab it first empties the namespace and waits until its
// pods are gone: the next grading needs what they held (a GPU node's
// devices), and a namespace's deletion ends its pods gracefully, seconds
// later.
func (s *Session) DropNamespace(ns string) {
	if s.clients == nil {
		return
	}
	if s.opts.Lab.Spec.Cluster.Exclusive {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = s.clients.ResetNamespace(ctx, ns, time.Minute)
		cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = releaseAllowed(ctx, s.clients, s.opts.Lab.Spec.Submission.Allow, ns)
	bg := metav1.DeletePropagationBackground
	_ = s.clients.Typed.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{PropagationPolicy: &bg})
}

// Lab is the session's lab.
func (s *Session) Lab() *lab.Lab { return s.opts.Lab }

// Clients are the session's cluster clients (nil before the cluster step).
func (s *Session) Clients() *cluster.Clients { return s.clients }

// Failed is the result of a session that could not grade: err as its
// environment error (exit 2, never the learner's failure).
func (s *Session) Failed(ctx context.Context, err error) *result.Result {
	res := s.newResult(Grading{})
	s.fail(ctx, res, err)
	res.DurationSeconds = seconds(time.Since(s.start))
	res.Tally()
	return res
}

func (s *Session) fail(ctx context.Context, res *result.Result, err error) {
	if ctx.Err() != nil {
		err = fmt.Errorf("interrupted (%v)", context.Cause(ctx))
	}
	res.EnvironmentError = err.Error()
}

// Close deletes the cluster this session created, unless it is to be
// kept; it runs after Ctrl-C too. The cleanup is recorded as a phase,
// which Finish adds to a result.
func (s *Session) Close() error {
	if s.builds != nil {
		s.builds.stop()
	}
	if s.nodeImage != nil {
		select { // a Docker that hangs must not hold the grade
		case img := <-s.nodeImage:
			s.mu.Lock()
			s.env.NodeImage = cmp.Or(img, s.env.NodeImage)
			s.mu.Unlock()
		case <-time.After(5 * time.Second):
		}
		s.nodeImage = nil
	}
	if !s.created || s.opts.KeepCluster {
		if s.kindCluster != "" {
			s.progress("cluster %s kept; use it with: kubectl --kubeconfig %s --context %s",
				s.kindCluster, cluster.KubeconfigPath(s.kindCluster), cluster.Context(s.kindCluster))
		}
		return nil
	}
	return s.timed("cleanup", func() error {
		return s.provider.Delete(s.kindCluster, cluster.KubeconfigPath(s.kindCluster))
	})
}

// Finish completes a result after Close: the cleanup phase, the node
// image learned late, the total time.
func (s *Session) Finish(res *result.Result, closeErr error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.phases {
		if p.Name == "cleanup" {
			res.Phases = append(res.Phases, p)
		}
	}
	if closeErr != nil {
		res.Problems = append(res.Problems, closeErr.Error())
	}
	if res.Environment.NodeImage == "" {
		res.Environment.NodeImage = s.env.NodeImage
	}
	res.DurationSeconds = seconds(time.Since(s.start))
}

func (s *Session) progress(format string, a ...any) {
	if s.opts.Progress != nil {
		// progress quotes errors, which may quote the learner's objects:
		// no line of it may be a CI workflow command or a terminal escape
		fmt.Fprintf(s.opts.Progress, "[%6.1fs] %s\n", time.Since(s.start).Seconds(), report.Safe(fmt.Sprintf(format, a...)))
	}
}

// timed runs fn as a named phase, recorded in the session's phases.
func (s *Session) timed(name string, fn func() error) error {
	return phase(name, fn, func(p result.Phase) {
		s.mu.Lock()
		s.phases = append(s.phases, p)
		s.mu.Unlock()
	}, s.progress)
}

// phase runs fn, hands record its timing and, when it succeeded, says so.
func phase(name string, fn func() error, record func(result.Phase), progress func(string, ...any)) error {
	t := time.Now()
	err := fn()
	record(result.Phase{Name: name, Seconds: seconds(time.Since(t))})
	if err == nil {
		progress("%s done in %.1fs", name, time.Since(t).Seconds())
	}
	return err
}

func (s *Session) ensureCluster(ctx context.Context) error {
	if s.opts.Cluster == ExistingCluster {
		c, err := cluster.Connect(s.opts.Kubeconfig, s.opts.Context)
		if err != nil {
			return err
		}
		s.clients, s.env.Cluster = c, c.Context
		if m := s.opts.Registry; m != nil { // images are pushed, never loaded, even into kind
			if s.clients, err = c.MapImages(m); err != nil {
				return err
			}
			s.env.Registry = m.Registry
			s.progress("images: the lab's %s images are %s/ in this cluster", cluster.LabImagePrefix, m.Registry)
		} else if name, isKind := strings.CutPrefix(c.Context, "kind-"); isKind {
			// images load only into kind clusters; kind names its contexts kind-NAME
			if ok, _ := s.provider.Exists(name); ok {
				s.kindCluster = name
			}
		}
		return s.recordServer(ctx)
	}
	name := cluster.ClusterName(s.opts.Lab.Name())
	kubeconfig := cluster.KubeconfigPath(name)
	if s.opts.Cluster == LabCluster && s.connectKnown(ctx, name, kubeconfig) {
		return nil
	}
	exists, err := s.provider.Exists(name)
	if err != nil {
		return err
	}
	image, why := cluster.ResolveNodeImage(ctx, s.opts.NodeImage)
	switch {
	case exists && s.opts.Cluster != NewCluster:
		s.progress("cluster: reusing kind cluster %s", name)
		if err := s.provider.WriteKubeconfig(name, kubeconfig); err != nil {
			return err
		}
	case s.opts.Cluster == LabCluster:
		return fmt.Errorf("there is no kind cluster %s: start one with 'labgrade up %s'", name, s.opts.Lab.Name())
	case exists:
		return fmt.Errorf("kind cluster %s already exists (left by --keep or labgrade up?): grade in it with --reuse, or remove it with 'labgrade down %s'", name, s.opts.Lab.Name())
	default:
		s.progress("cluster: creating kind cluster %s (node image %s: %s) ...", name, cmp.Or(image, "kind's default"), why)
		stopTicker := s.ticker("cluster create")
		// kind create fails now and then on a loaded host (a node that is
		// slow to boot, a port taken for a moment): one more try, from
		// scratch
		err := s.retry(ctx, "kind create", 2, func(error) bool { return true },
			"run 'labgrade doctor' to check Docker, memory and disk", func() error {
				err := s.provider.Create(ctx, name, image, kubeconfig, clusterOptions(s.opts.Lab.Spec.Cluster))
				if err != nil && ctx.Err() == nil {
					if left, _ := s.provider.Exists(name); left {
						_ = s.provider.Delete(name, kubeconfig)
					}
				}
				return err
			})
		stopTicker()
		if err != nil {
			return err
		}
		s.created = true
	}
	s.kindCluster = name
	s.env.Cluster = name
	s.env.NodeImage = image
	if used := s.provider.NodeImage(ctx, name); used != "" {
		s.env.NodeImage = used // a reused cluster may run another image
	}
	c, err := cluster.Connect(kubeconfig, cluster.Context(name))
	if err != nil {
		return err
	}
	s.clients = c
	return s.retry(ctx, "reaching the API server", 4, transient,
		fmt.Sprintf("the cluster may be unhealthy: remove it with 'labgrade down %s' and run again", s.opts.Lab.Name()),
		func() error { return s.recordServer(ctx) })
}

// ticker prints a line every 15 s while a long step runs.
func (s *Session) ticker(what string) (stop func()) {
	done := make(chan struct{})
	t0 := time.Now()
	go func() {
		tick := time.NewTicker(15 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				s.progress("%s: still running (%.0fs)", what, time.Since(t0).Seconds())
			}
		}
	}()
	return func() { close(done) }
}

func (s *Session) recordServer(ctx context.Context) error {
	v, err := s.provider.ServerVersion(ctx, s.clients)
	if err != nil {
		return fmt.Errorf("the API server of %s does not answer: %w", s.clients.Context, err)
	}
	s.env.Kubernetes = v
	return nil
}

// clusterOptions are what the lab asks of a kind cluster labgrade creates.
func clusterOptions(c spec.Cluster) cluster.Options {
	o := cluster.Options{EndpointSyncDelay: c.EndpointSyncDelay.Duration}
	for i, n := range c.Nodes {
		node := cluster.Node{ControlPlane: i == 0 && n.Role == "control-plane", Labels: n.Labels}
		for _, t := range n.Taints {
			node.Taints = append(node.Taints, cluster.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
		}
		o.Nodes = append(o.Nodes, node)
	}
	return o
}

// ensureImages builds the lab's images and loads them into the kind
// cluster, once per session.
func (s *Session) ensureImages(ctx context.Context) error {
	s.imagesMu.Lock()
	defer s.imagesMu.Unlock()
	if s.imagesDone {
		return s.imagesErr
	}
	s.imagesErr = s.loadImages(ctx)
	s.imagesDone = ctx.Err() == nil
	return s.imagesErr
}

func (s *Session) loadImages(ctx context.Context) error {
	if len(s.opts.Lab.Spec.Cluster.Images) == 0 {
		return nil
	}
	if s.kindCluster == "" && s.clients.Images == nil {
		s.progress("images: not a kind cluster; the lab's images must already be available to it (or give --registry)")
		return nil
	}
	if s.builds == nil { // Open starts them; a session made otherwise builds now
		s.builds = s.startBuilds(ctx)
	}
	if err := s.builds.wait(ctx); err != nil {
		return err
	}
	arch := s.builds.arch
	if ns, err := s.clients.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil && len(ns.Items) > 0 {
		arch = ns.Items[0].Status.NodeInfo.Architecture
	}
	for _, img := range s.opts.Lab.Spec.Cluster.Images {
		if arch != s.builds.arch { // nodes of another architecture than the host
			if err := s.buildImage(ctx, img.Name, img.Build, img.BuildArgs, arch); err != nil {
				return err
			}
		}
	}
	if m := s.clients.Images; m != nil {
		return s.pushImages(ctx, m)
	}
	for _, img := range s.opts.Lab.Spec.Cluster.Images {
		var loaded []string
		err := s.retry(ctx, "loading image "+img.Name, 3, transient, "check that Docker is running and has free disk, then run again", func() error {
			var err error
			loaded, err = s.provider.LoadImage(ctx, s.kindCluster, img.Name)
			return err
		})
		if err != nil {
			return err
		}
		if len(loaded) == 0 {
			s.progress("images: %s already on every node", img.Name)
		} else {
			s.progress("images: loaded %s into %s", img.Name, strings.Join(loaded, ", "))
		}
	}
	return nil
}

// pushImages pushes the lab's images, built for the architecture of the
// cluster's first node, to the registry the cluster pulls from.
func (s *Session) pushImages(ctx context.Context, m *cluster.ImageMap) error {
	// every image mapped before any is pushed: a refusal leaves the
	// registry as it was
	dests := make([]string, len(s.opts.Lab.Spec.Cluster.Images))
	for i, img := range s.opts.Lab.Spec.Cluster.Images {
		if dests[i] = m.ToCluster(img.Name); dests[i] == "" {
			return fmt.Errorf("image %s is not under %s: only the lab's own images can be mapped to --registry", img.Name, cluster.LabImagePrefix)
		}
	}
	for i, img := range s.opts.Lab.Spec.Cluster.Images {
		dest := dests[i]
		var digest string
		err := s.retry(ctx, "pushing image "+img.Name, 3, transient, "check that the registry answers and that you are logged in to it (docker login)", func() error {
			var err error
			digest, err = s.provider.PushImage(ctx, img.Name, dest, m.Insecure)
			return err
		})
		if err != nil {
			return err
		}
		s.progress("images: pushed %s as %s (%s)", img.Name, dest, digest)
	}
	return nil
}

func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
