package docker

// Lab images: a Go main package compiled on the host, then its Dockerfile
// built by the Docker engine through testcontainers-go. Images are FROM
// scratch, so nothing is pulled: labs work where no registry can be reached.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/testcontainers/testcontainers-go"
)

// ImageSpec is one image to build.
type ImageSpec struct {
	// Ref is the image reference, with a tag.
	Ref string
	// Dir holds the Go main package and the Dockerfile.
	Dir string
	// LDFlagsX are -X name=value pairs for the Go linker.
	LDFlagsX map[string]string
	// GOARCH of the nodes that will run it.
	GOARCH string
}

// InputsLabel is the image label holding the digest of everything the
// image was built from: the compiled program and the build directory.
const InputsLabel = "labgrade.dev/inputs"

// Build compiles the program into ./app of a copy of Dir and builds the
// Dockerfile there, unless the engine holds an image of that reference
// built from the same inputs. The image is kept in the engine for later
// runs.
func Build(ctx context.Context, s ImageSpec) error {
	_, err := BuildIfChanged(ctx, s)
	return err
}

// BuildIfChanged is Build, and reports whether the build was skipped.
//
// The digest is taken after the compile, over the binary and the
// directory's files: Go's build cache makes the compile of unchanged
// sources quick, and the binary is what changes when any package it
// imports (not only the directory) does. docker build would notice the
// same through its layer cache, but only after sending the context and
// stepping through the Dockerfile, about a second an image.
func BuildIfChanged(ctx context.Context, s ImageSpec) (skipped bool, err error) {
	work, err := os.MkdirTemp("", "labgrade-image-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(work)
	if err := copyDir(s.Dir, work); err != nil {
		return false, fmt.Errorf("image %s: copying %s: %w", s.Ref, s.Dir, err)
	}
	if err := compile(ctx, s, filepath.Join(work, "app")); err != nil {
		return false, err
	}
	digest, err := dirDigest(work)
	if err != nil {
		return false, fmt.Errorf("image %s: %w", s.Ref, err)
	}
	if h, err := Connect(ctx); err == nil {
		have, _ := h.ImageLabel(ctx, s.Ref, InputsLabel)
		h.Close()
		if have == digest {
			return true, nil
		}
	}
	df := filepath.Join(work, "Dockerfile")
	raw, err := os.ReadFile(df)
	if err != nil {
		return false, fmt.Errorf("image %s: %s has no Dockerfile", s.Ref, s.Dir)
	}
	raw = append(raw, []byte("\nLABEL "+InputsLabel+"="+digest+"\n")...)
	if err := os.WriteFile(df, raw, 0o644); err != nil {
		return false, err
	}
	return false, dockerBuild(ctx, s, work)
}

// dockerBuild builds the Dockerfile in work as s.Ref.
func dockerBuild(ctx context.Context, s ImageSpec, work string) error {
	repo, tag := splitRef(s.Ref)
	var log bytes.Buffer
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: work, Repo: repo, Tag: tag, KeepImage: true, BuildLogWriter: &log,
	}}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("image %s: cannot reach the Docker engine: %w", s.Ref, err)
	}
	defer p.Close()
	if _, err := p.BuildImage(ctx, &req); err != nil {
		return fmt.Errorf("image %s: docker build of %s failed: %w (%s)", s.Ref, s.Dir, err, lastLines(log.String(), 3))
	}
	return nil
}

// dirDigest is a SHA-256 over the names and contents of the files under
// dir, in a fixed order.
func dirDigest(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		_, err = io.Copy(h, f)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func compile(ctx context.Context, s ImageSpec, out string) error {
	ldflags := []string{"-s", "-w"}
	keys := make([]string, 0, len(s.LDFlagsX))
	for k := range s.LDFlagsX {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ldflags = append(ldflags, "-X", k+"="+s.LDFlagsX[k])
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", strings.Join(ldflags, " "), "-o", out, ".")
	cmd.Dir = s.Dir
	arch := s.GOARCH
	if arch == "" {
		arch = "amd64"
	}
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=-mod=mod")
	if GoModFile(ctx, s.Dir) == "" {
		// A lab's own standard-library program (labgrade lab new makes
		// one) has no go.mod of its own and may live outside any module:
		// GOPATH mode builds a lone package directory as it is.
		cmd.Env = append(cmd.Env, "GO111MODULE=off", "GOFLAGS=")
	}
	if outp, err := cmd.CombinedOutput(); err != nil {
		if _, lookErr := exec.LookPath("go"); lookErr != nil {
			return fmt.Errorf("image %s: the Go toolchain is needed to build lab images and is not in PATH", s.Ref)
		}
		return fmt.Errorf("image %s: go build in %s failed: %s", s.Ref, s.Dir, lastLines(string(outp), 5))
	}
	return nil
}

// GoModFile is the go.mod that dir's Go package builds with, "" when dir
// belongs to no module (or there is no Go toolchain).
func GoModFile(ctx context.Context, dir string) string {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == os.DevNull {
		return ""
	}
	return mod
}

// splitRef splits "repo/name:tag" at the tag's colon (not a registry port's).
func splitRef(ref string) (string, string) {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
