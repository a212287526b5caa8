// Package scaffold writes a new lab (labgrade lab new) that passes
// labgrade lab lint at once and that labgrade lab test proves: lab.yaml
// with an example check of each kind, a learner README, scenario/,
// starter/, solution/, a broken variant and the lab's own image program.
package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
)

//go:embed all:template
var files embed.FS

// Options of a new lab.
type Options struct {
	// Name of the lab (its directory and namespace).
	Name string
	// Dir is where the lab directory is made (Dir/Name).
	Dir string
	// LoadgenDir is labgrade's load generator source
	// (fixtures/images/loadgen); when set, the rollout examples are live.
	LoadgenDir string
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Write creates Dir/Name with the lab's files and returns its path. It
// refuses a name that is not a DNS label and a directory that exists.
func Write(o Options) (string, error) {
	if !dnsLabel.MatchString(o.Name) || len(o.Name) > 40 {
		return "", fmt.Errorf("lab name %q: lower-case letters, digits and '-', at most 40 characters", o.Name)
	}
	dir := filepath.Join(o.Dir, o.Name)
	if _, err := os.Stat(dir); err == nil {
		return "", fmt.Errorf("%s already exists; choose another name or remove it", dir)
	}
	data := struct{ Name, Loadgen string }{Name: o.Name}
	if o.LoadgenDir != "" {
		absLab, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		absGen, err := filepath.Abs(o.LoadgenDir)
		if err != nil {
			return "", err
		}
		if data.Loadgen, err = filepath.Rel(absLab, absGen); err != nil {
			return "", err
		}
	}
	return dir, fs.WalkDir(files, "template", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(path, "template/")
		if name, ok := strings.CutSuffix(rel, ".tmpl"); ok {
			t, err := template.New(rel).Option("missingkey=error").Parse(string(raw))
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := t.Execute(&b, data); err != nil {
				return err
			}
			raw, rel = b.Bytes(), name
		}
		out := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, raw, 0o644)
	})
}

// FindLoadgen looks for labgrade's load generator source in a labgrade
// checkout at or above each of the given directories.
func FindLoadgen(from ...string) string {
	for _, start := range from {
		dir, err := filepath.Abs(start)
		if err != nil {
			continue
		}
		for {
			cand := filepath.Join(dir, "fixtures", "images", "loadgen")
			if _, err := os.Stat(filepath.Join(cand, "Dockerfile")); err == nil {
				return cand
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return ""
}
