// Package lab loads lab directories: the strict reading of lab.yaml, the
// defaults, and every check that can be made without a cluster.
package lab

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/labgrade/labgrade/grader/spec"
)

// FileName is the lab file inside a lab directory.
const FileName = "lab.yaml"

// ExpectFileName is the file in broken/<variant>/ that lists the checks the
// variant must fail (failing: [ids]).
const ExpectFileName = "expect.yaml"

// DefaultTimeout is a check's timeout when neither the lab nor the check's
// kind gives one.
const DefaultTimeout = spec.DefaultTimeout

// Lab is a loaded, validated lab.
type Lab struct {
	spec.Lab
	// Dir is the lab directory (absolute).
	Dir string
	// File is lab.yaml as it was named to Load, for messages.
	File string
	pos  map[string]position
}

// Name is the lab's name.
func (l *Lab) Name() string { return l.Metadata.Name }

// Check returns the check with the given id.
func (l *Lab) Check(id string) (*spec.Check, bool) {
	for i := range l.Spec.Checks {
		if l.Spec.Checks[i].ID == id {
			return &l.Spec.Checks[i], true
		}
	}
	return nil, false
}

// MaxScore is the sum of every check's points.
func (l *Lab) MaxScore() int {
	total := 0
	for _, c := range l.Spec.Checks {
		total += c.Points
	}
	return total
}

// Line gives the line of a JSON path in lab.yaml (0 when unknown), so later
// stages can point authors at the right place.
func (l *Lab) Line(path string) int { return l.pos[path].line }

// Col gives the column of a JSON path in lab.yaml (0 when unknown).
func (l *Lab) Col(path string) int { return l.pos[path].col }

// Digest identifies the lab's content: a SHA-256 over every file of the
// lab directory (relative path and bytes, in path order), so a report says
// exactly which version of a lab graded it.
func (l *Lab) Digest() (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(l.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(l.Dir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}
