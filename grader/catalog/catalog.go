// Package catalog finds labs: in a directory the user names, in ./labs, or
// in the copies embedded in the binary.
package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/labgrade/labgrade/grader/lab"
)

// Catalog is a directory of lab directories.
type Catalog struct {
	// Dir holds one directory per lab.
	Dir string
	// Source says where Dir came from, for messages.
	Source string
}

// Open picks the labs directory: labsDir if given, else ./labs if it holds a
// lab, else the embedded labs, unpacked into the user cache (the fixtures
// beside them, since labs build images from ../../fixtures).
func Open(labsDir string, embedded fs.FS) (*Catalog, error) {
	if labsDir != "" {
		st, err := os.Stat(labsDir)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--labs-dir %s is not a directory", labsDir)
		}
		abs, _ := filepath.Abs(labsDir)
		return &Catalog{Dir: abs, Source: "--labs-dir"}, nil
	}
	if matches, _ := filepath.Glob(filepath.Join("labs", "*", lab.FileName)); len(matches) > 0 {
		abs, _ := filepath.Abs("labs")
		return &Catalog{Dir: abs, Source: "./labs"}, nil
	}
	dir, err := unpack(embedded)
	if err != nil {
		return nil, fmt.Errorf("unpacking the built-in labs: %w", err)
	}
	return &Catalog{Dir: filepath.Join(dir, "labs"), Source: "built-in"}, nil
}

// Names lists the labs (directories holding lab.yaml), sorted.
func (c *Catalog) Names() ([]string, error) {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(c.Dir, e.Name(), lab.FileName)); err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Load loads a lab by name, or by path when name is a directory.
func (c *Catalog) Load(name string) (*lab.Lab, error) {
	if st, err := os.Stat(name); err == nil && st.IsDir() && filepath.Base(name) != name {
		return lab.Load(name)
	}
	dir := filepath.Join(c.Dir, name)
	if _, err := os.Stat(filepath.Join(dir, lab.FileName)); errors.Is(err, os.ErrNotExist) {
		names, _ := c.Names()
		return nil, fmt.Errorf("no lab %q in %s (%s labs); available: %v", name, c.Dir, c.Source, names)
	}
	return lab.Load(dir)
}

// unpack writes the embedded tree into the user cache, once per content
// (the directory name is a digest of it), and returns that directory. The
// tree carries labgrade's go.mod and go.sum, so `go build` compiles the
// fixture programs there as it does in a checkout.
func unpack(embedded fs.FS) (string, error) {
	h := sha256.New()
	files := map[string][]byte{}
	var order []string
	err := fs.WalkDir(embedded, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		files[p] = b
		order = append(order, p)
		return nil
	})
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "labgrade", "builtin-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	for _, p := range order {
		b := files[p]
		target := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	os.RemoveAll(dir)
	return dir, os.Rename(tmp, dir)
}
