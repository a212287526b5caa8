package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/lab"
)

// TreeDigest identifies a directory's content: a SHA-256 over every entry
// (its path relative to dir, its type, and a regular file's bytes or a
// symbolic link's target), in path order. Links are never followed and
// nothing but a regular file is opened, so a submission's link to a
// secret or a FIFO neither leaks into nor blocks the digest.
func TreeDigest(dir string) (string, error) {
	// The directory itself may be a link the instructor made (an export's
	// layout): it is followed, what is inside it is not.
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		switch t := d.Type(); {
		case t.IsDir():
			fmt.Fprintf(h, "d\x00%s\x00", rel)
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "l\x00%s\x00%s\x00", rel, target)
		case t.IsRegular():
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			fmt.Fprintf(h, "f\x00%s\x00", rel)
			n, err := io.Copy(h, f)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "\x00%d\x00", n)
		default: // FIFO, socket, device: its name and kind only
			fmt.Fprintf(h, "o\x00%s\x00%s\x00", rel, t.String())
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// LabDigest identifies what grades a submission: the lab's files and the
// build contexts of its images, which live outside the lab directory
// (fixtures/images/...) and change a grade as much as lab.yaml does.
func LabDigest(l *lab.Lab) (string, error) {
	h := sha256.New()
	d, err := l.Digest()
	if err != nil {
		return "", fmt.Errorf("lab %s: %w", l.Name(), err)
	}
	fmt.Fprintf(h, "lab\x00%s\x00", d)
	for _, img := range l.Spec.Cluster.Images {
		dir := filepath.Join(l.Dir, img.Build)
		d, err := TreeDigest(dir)
		if err != nil {
			return "", fmt.Errorf("lab %s: image %s: %w", l.Name(), img.Name, err)
		}
		g, err := goSources(dir)
		if err != nil {
			return "", fmt.Errorf("lab %s: image %s: %w", l.Name(), img.Name, err)
		}
		fmt.Fprintf(h, "image\x00%s\x00%s\x00%s\x00%v\x00", img.Name, d, g, img.BuildArgs)
	}
	// Files the checks and the cluster's addons read may live outside the
	// lab's directory (k8s-serving's drift reference is
	// ../../fixtures/model/reference.csv, an enforcer's manifests
	// ../../fixtures/images/netpol/install.yaml).
	var outside [][2]string // what uses it, the path
	for _, c := range l.Spec.Checks {
		if c.Drift != nil && c.Drift.Reference != "" {
			outside = append(outside, [2]string{"check " + c.ID, c.Drift.Reference})
		}
	}
	for i, a := range l.Spec.Cluster.Addons {
		outside = append(outside, [2]string{fmt.Sprintf("addon %d", i+1), a.Apply})
		fmt.Fprintf(h, "advertises\x00%s\x00", a.Advertises)
	}
	for _, o := range outside {
		d, err := TreeDigest(filepath.Join(l.Dir, o[1]))
		if err != nil {
			return "", fmt.Errorf("lab %s: %s: %w", l.Name(), o[0], err)
		}
		fmt.Fprintf(h, "file\x00%s\x00%s\x00", o[1], d)
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// Stamp is what a submission's grade was made from, kept beside it as
// DIR/<id>/digest.json: a rerun with the same stamp may keep the grade.
type Stamp struct {
	Lab        string `json:"lab"`
	Submission string `json:"submission"`
	// Selection is --only/--skip/--quick as flags ("" = every check): a
	// partial grade is not the full one.
	Selection string `json:"selection,omitempty"`
}

// stampFile and resultFile are the names resume reads under DIR/<id>/.
const (
	stampFile  = "digest.json"
	resultFile = "result.json"
)

// readStamp reads DIR/<id>/digest.json (ok false when absent or unreadable).
func readStamp(dir string) (Stamp, bool) {
	b, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil {
		return Stamp{}, false
	}
	var s Stamp
	if json.Unmarshal(b, &s) != nil || s.Lab == "" || s.Submission == "" {
		return Stamp{}, false
	}
	return s, true
}

// UpToDate says whether the grade under dir (DIR/<id>) may be kept: its
// stamp is want and its result.json is there. A stamp is written only
// after a grade (never for an error, a timeout or an interrupted
// grading), so what did not grade is graded again.
func UpToDate(dir string, want Stamp) bool {
	got, ok := readStamp(dir)
	if !ok || got != want {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, resultFile))
	return err == nil && st.Mode().IsRegular()
}

// goSources digests what an image's Go program is built from outside its
// own directory: the packages of the same module it imports
// (fixtures/images/loadgen imports grader/traffic) and the module's go.mod
// and go.sum, which pin every other dependency. A change there changes the
// program as much as one in the image's directory. (The image build's own
// digest, docker.InputsLabel, is taken over the compiled binary; a batch
// decides what to grade again before it builds anything.) "" for a
// directory outside any module, which is built alone.
func goSources(dir string) (string, error) {
	mod := docker.GoModFile(context.Background(), dir)
	if mod == "" {
		return "", nil // no toolchain or no module: the directory alone is built
	}
	out, err := goCmd(dir, "list", "-deps", "-f", "{{if and (not .Standard) .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", ".")
	if err != nil {
		return "", fmt.Errorf("listing the Go packages of %s: %w", dir, err)
	}
	self, _ := filepath.Abs(dir)
	h := sha256.New()
	for _, f := range []string{mod, strings.TrimSuffix(mod, ".mod") + ".sum"} {
		if raw, err := os.ReadFile(f); err == nil {
			fmt.Fprintf(h, "%s\x00%x\x00", filepath.Base(f), sha256.Sum256(raw))
		}
	}
	for _, pkg := range strings.Fields(out) {
		if pkg == self {
			continue // digested whole with the image's directory
		}
		if err := digestFiles(h, filepath.Dir(mod), pkg); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// digestFiles adds the regular files directly in dir (a Go package's
// sources; not its subdirectories, which are other packages) to h.
func digestFiles(h io.Writer, root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		rel = dir
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s/%s\x00%x\x00", filepath.ToSlash(rel), e.Name(), sha256.Sum256(raw))
	}
	return nil
}

// goCmd runs the go command in dir, as the image build does (for Linux,
// without cgo), and returns its trimmed output.
func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
