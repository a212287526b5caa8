package runner

import (
	"context"
	"path/filepath"
	"runtime"

	"github.com/labgrade/labgrade/grader/docker"
)

// imageBuilds are the lab's images being built while the cluster is made:
// a build needs only the Docker engine, a load needs the nodes, and on a
// 2-core host kind's node boot leaves a core idle much of the time.
type imageBuilds struct {
	done   chan struct{}
	cancel context.CancelFunc
	// arch the images are built for: the host's, which is a local kind
	// node's; loadImages rebuilds for nodes of another.
	arch string
	err  error
}

// startBuilds builds every image of the lab in the background, in order.
func (s *Session) startBuilds(ctx context.Context) *imageBuilds {
	ctx, cancel := context.WithCancel(ctx)
	b := &imageBuilds{done: make(chan struct{}), cancel: cancel, arch: runtime.GOARCH}
	go func() {
		defer close(b.done)
		for _, img := range s.opts.Lab.Spec.Cluster.Images {
			if b.err = s.buildImage(ctx, img.Name, img.Build, img.BuildArgs, b.arch); b.err != nil {
				return
			}
		}
	}()
	return b
}

// wait returns the builds' error once they are over.
func (b *imageBuilds) wait(ctx context.Context) error {
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop cancels builds still running and waits for them to end.
func (b *imageBuilds) stop() {
	b.cancel()
	<-b.done
}

func (s *Session) buildImage(ctx context.Context, ref, dir string, args map[string]string, arch string) error {
	skipped, err := s.provider.BuildImage(ctx, docker.ImageSpec{
		Ref: ref, Dir: filepath.Join(s.opts.Lab.Dir, dir), LDFlagsX: args, GOARCH: arch,
	})
	switch {
	case err != nil:
	case skipped:
		s.progress("images: %s unchanged since its last build (%s)", ref, docker.InputsLabel)
	default:
		s.progress("images: built %s from %s", ref, dir)
	}
	return err
}
