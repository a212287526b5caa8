// Package runner grades a lab end to end: cluster, images, scenario,
// submission, checks, cleanup. Each step is a timed phase in the result.
package runner

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/faults"
	"github.com/labgrade/labgrade/grader/images"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/result"
)

// Options of one run.
type Options struct {
	Lab *lab.Lab
	// Submission is the learner's directory; "" applies nothing (labgrade up).
	Submission string
	// NodeImage for new kind clusters ("" = $LABGRADE_NODE_IMAGE, else
	// kind's default).
	NodeImage string
	// Kubeconfig and Context select an existing cluster instead of kind.
	Kubeconfig, Context string
	// Keep leaves the kind cluster running at the end.
	Keep bool
	// Reuse takes an existing labgrade-<lab> cluster (and keeps it); the lab
	// namespace is reset so the run grades as on a new cluster.
	Reuse bool
	// ApplyScenario, when false, grades the cluster as it stands (labgrade
	// check): no images, no namespace reset, no setup; the submission, if
	// given, is still applied.
	ApplyScenario bool
	// RequireExisting refuses to create a cluster (labgrade check).
	RequireExisting bool
	// SkipChecks stops after applying (labgrade up).
	SkipChecks bool
	// Progress receives one line per step, with elapsed time.
	Progress io.Writer
	// Version is labgrade's version, recorded in the result.
	Version string
}

// Run grades the lab. It always returns a result: an environment failure
// (or Ctrl-C) is recorded in EnvironmentError and gives exit code 2.
func Run(ctx context.Context, o Options) *result.Result {
	r := &run{opts: o, start: time.Now(), kind: cluster.NewKind()}
	r.res = &result.Result{
		Lab: o.Lab.Name(), Title: o.Lab.Spec.Title, PassingScore: o.Lab.Spec.PassingScore,
		Environment: result.Environment{Labgrade: o.Version, Kind: KindVersion()},
	}
	if d, err := o.Lab.Digest(); err == nil {
		r.res.Environment.LabDigest = d
	}
	err := r.grade(ctx)
	r.cleanup()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted (%v)", context.Cause(ctx))
		}
		r.res.EnvironmentError = err.Error()
	}
	r.res.DurationSeconds = seconds(time.Since(r.start))
	r.res.Tally()
	return r.res
}

type run struct {
	opts    Options
	res     *result.Result
	start   time.Time
	kind    *cluster.Kind
	clients *cluster.Clients
	// kindCluster is the kind cluster in use ("" with --kubeconfig).
	kindCluster string
	// created is set when this run created the cluster (and so deletes it).
	created bool
	// declared are the submission's objects by Kind/name, with where each
	// is written.
	declared map[string]apply.Object
}

func (r *run) progress(format string, a ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "[%6.1fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, a...))
	}
}

// phase runs fn as a named, timed phase.
func (r *run) phase(name string, fn func() error) error {
	t := time.Now()
	err := fn()
	r.res.Phases = append(r.res.Phases, result.Phase{Name: name, Seconds: seconds(time.Since(t))})
	if err == nil {
		r.progress("%s done in %.1fs", name, time.Since(t).Seconds())
	}
	return err
}

func (r *run) grade(ctx context.Context) error {
	l := r.opts.Lab
	if r.opts.Submission != "" {
		if st, err := os.Stat(r.opts.Submission); err != nil || !st.IsDir() {
			return fmt.Errorf("submission directory %s not found", r.opts.Submission)
		}
	}
	if err := r.phase("cluster", func() error { return r.ensureCluster(ctx) }); err != nil {
		return err
	}
	if r.opts.ApplyScenario {
		if len(l.Spec.Cluster.Images) > 0 {
			if err := r.phase("images", func() error { return r.loadImages(ctx) }); err != nil {
				return err
			}
		}
		if err := r.phase("namespace", func() error { return r.resetNamespace(ctx) }); err != nil {
			return err
		}
		if err := r.phase("setup", func() error { return r.applySetup(ctx) }); err != nil {
			return err
		}
	}
	if r.opts.Submission != "" {
		if err := r.phase("submission", func() error { return r.applySubmission(ctx) }); err != nil {
			return err
		}
	}
	if r.opts.SkipChecks {
		return nil
	}
	return r.phase("checks", func() error {
		r.res.Checks = runChecks(ctx, r.clients, l, r.declared, r.progress)
		return ctx.Err()
	})
}

func (r *run) ensureCluster(ctx context.Context) error {
	if r.opts.Kubeconfig != "" || r.opts.Context != "" {
		c, err := cluster.Connect(r.opts.Kubeconfig, r.opts.Context)
		if err != nil {
			return err
		}
		r.clients = c
		// Images load only into kind clusters; kind names its contexts kind-NAME.
		if name, isKind := strings.CutPrefix(c.Context, "kind-"); isKind {
			if ok, _ := r.kind.Exists(name); ok {
				r.kindCluster = name
			}
		}
		r.res.Environment.Cluster = c.Context
		return r.recordServer(ctx)
	}
	name := cluster.ClusterName(r.opts.Lab.Name())
	kubeconfig := cluster.KubeconfigPath(name)
	exists, err := r.kind.Exists(name)
	if err != nil {
		return err
	}
	image, why := cluster.ResolveNodeImage(ctx, r.opts.NodeImage)
	switch {
	case exists && r.opts.Reuse:
		r.progress("cluster: reusing kind cluster %s", name)
		if err := r.kind.WriteKubeconfig(name, kubeconfig); err != nil {
			return err
		}
	case !exists && r.opts.RequireExisting:
		return fmt.Errorf("there is no kind cluster %s: start one with 'labgrade up %s'", name, r.opts.Lab.Name())
	case exists:
		return fmt.Errorf("kind cluster %s already exists (left by --keep or labgrade up?): grade in it with --reuse, or remove it with 'labgrade down %s'", name, r.opts.Lab.Name())
	default:
		r.progress("cluster: creating kind cluster %s (node image %s: %s) ...", name, cmp.Or(image, "kind's default"), why)
		stopTicker := r.ticker("cluster create")
		// kind create fails now and then on a loaded host (a node that is
		// slow to boot, a port taken for a moment): one more try, from
		// scratch
		err := r.retry(ctx, "kind create", 2, func(error) bool { return true },
			"run 'labgrade doctor' to check Docker, memory and disk", func() error {
				if err := faults.At(faults.KindCreate); err != nil {
					return err
				}
				err := r.kind.Create(ctx, name, image, kubeconfig, cluster.Options{EndpointSyncDelay: r.opts.Lab.Spec.Cluster.EndpointSyncDelay.Duration})
				if err != nil && ctx.Err() == nil {
					if left, _ := r.kind.Exists(name); left {
						_ = r.kind.Delete(name, kubeconfig)
					}
				}
				return err
			})
		stopTicker()
		if err != nil {
			return err
		}
		r.created = true
	}
	r.kindCluster = name
	r.res.Environment.Cluster = name
	r.res.Environment.NodeImage = image
	if used := r.kind.NodeImage(ctx, name); used != "" {
		r.res.Environment.NodeImage = used // a reused cluster may run another image
	}
	c, err := cluster.Connect(kubeconfig, cluster.Context(name))
	if err != nil {
		return err
	}
	r.clients = c
	return r.retry(ctx, "reaching the API server", 4, transient,
		fmt.Sprintf("the cluster may be unhealthy: remove it with 'labgrade down %s' and run again", r.opts.Lab.Name()),
		func() error { return r.recordServer(ctx) })
}

// ticker prints a line every 15 s while a long step runs.
func (r *run) ticker(what string) (stop func()) {
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
				r.progress("%s: still running (%.0fs)", what, time.Since(t0).Seconds())
			}
		}
	}()
	return func() { close(done) }
}

func (r *run) recordServer(ctx context.Context) error {
	if err := faults.At(faults.API); err != nil {
		return err
	}
	v, err := r.clients.Typed.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("the API server of %s does not answer: %w", r.clients.Context, err)
	}
	r.res.Environment.Kubernetes = v.GitVersion
	return nil
}

func (r *run) loadImages(ctx context.Context) error {
	if r.kindCluster == "" {
		r.progress("images: not a kind cluster; the lab's images must already be available to it")
		return nil
	}
	arch := "amd64"
	if ns, err := r.clients.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil && len(ns.Items) > 0 {
		arch = ns.Items[0].Status.NodeInfo.Architecture
	}
	for _, img := range r.opts.Lab.Spec.Cluster.Images {
		r.progress("images: building %s from %s", img.Name, img.Build)
		var loaded []string
		err := r.retry(ctx, "loading image "+img.Name, 3, transient, "check that Docker is running and has free disk, then run again", func() error {
			if err := faults.At(faults.ImageLoad); err != nil {
				return err
			}
			var err error
			loaded, err = images.BuildAndLoad(ctx, r.kind, r.kindCluster, images.Spec{
				Ref: img.Name, Dir: filepath.Join(r.opts.Lab.Dir, img.Build), LDFlagsX: img.BuildArgs, GOARCH: arch,
			})
			return err
		})
		if err != nil {
			return err
		}
		if len(loaded) == 0 {
			r.progress("images: %s already on every node", img.Name)
		} else {
			r.progress("images: loaded %s into %s", img.Name, strings.Join(loaded, ", "))
		}
	}
	return nil
}

func (r *run) resetNamespace(ctx context.Context) error {
	ns := r.opts.Lab.Spec.Namespace
	if r.created {
		return r.clients.EnsureNamespace(ctx, ns)
	}
	r.progress("namespace: resetting %s", ns)
	return r.clients.ResetNamespace(ctx, ns, 2*time.Minute)
}

func (r *run) applySetup(ctx context.Context) error {
	for _, st := range r.opts.Lab.Spec.Setup {
		objs, err := apply.Read(filepath.Join(r.opts.Lab.Dir, st.Apply))
		if err != nil {
			return fmt.Errorf("lab %s: setup %s: %w", r.opts.Lab.Name(), st.Apply, err)
		}
		err = r.retry(ctx, "applying setup "+st.Apply, 3, transient,
			fmt.Sprintf("the cluster may be unhealthy: remove it with 'labgrade down %s' and run again", r.opts.Lab.Name()), func() error {
				if err := faults.At(faults.Apply); err != nil {
					return err
				}
				return apply.Apply(ctx, r.clients, objs, r.opts.Lab.Spec.Namespace)
			})
		if err != nil {
			return fmt.Errorf("lab %s: setup %s could not be applied:\n%w", r.opts.Lab.Name(), st.Apply, err)
		}
		r.progress("setup: applied %d objects from %s", len(objs), st.Apply)
	}
	return nil
}

// applySubmission applies the learner's manifests. What the API server
// refuses is the learner's problem, reported and graded (the checks then
// fail), not an environment error.
func (r *run) applySubmission(ctx context.Context) error {
	// A broken variant's expect.yaml describes the variant; it is never
	// part of what is applied.
	objs, err := apply.Read(r.opts.Submission, lab.ExpectFileName)
	if err != nil {
		r.res.Problems = append(r.res.Problems, strings.Split(err.Error(), "\n")...)
	}
	r.declared = map[string]apply.Object{}
	for _, o := range objs {
		r.declared[o.Ref()] = o
	}
	if err := apply.Apply(ctx, r.clients, objs, r.opts.Lab.Spec.Namespace); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.res.Problems = append(r.res.Problems, strings.Split(err.Error(), "\n")...)
	}
	r.progress("submission: applied %d objects from %s", len(objs), r.opts.Submission)
	return nil
}

// cleanup deletes a cluster this run created, unless asked to keep it. It
// runs after Ctrl-C too, with its own deadline.
func (r *run) cleanup() {
	if !r.created || r.opts.Keep || r.opts.Reuse {
		if r.kindCluster != "" {
			r.progress("cluster %s kept; use it with: kubectl --kubeconfig %s --context %s",
				r.kindCluster, cluster.KubeconfigPath(r.kindCluster), cluster.Context(r.kindCluster))
		}
		return
	}
	_ = r.phase("cleanup", func() error {
		err := r.kind.Delete(r.kindCluster, cluster.KubeconfigPath(r.kindCluster))
		if err != nil {
			r.res.Problems = append(r.res.Problems, err.Error())
		}
		return err
	})
}

func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
