package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"sigs.k8s.io/yaml"

	"github.com/labgrade/labgrade/grader/result"
)

// SolutionDir is the lab's reference solution, relative to the lab.
const SolutionDir = "solution"

// Variant is a broken variant of the solution: broken/<name>/ holds the
// files that differ from solution/ and an expect.yaml saying which checks
// the variant must fail. Keeping only the differing files makes each
// variant's one defect plain to read, and a fix to the solution reaches
// every variant.
type Variant struct {
	// Name is the variant's directory name.
	Name string `json:"-"`
	// Dir is broken/<name>, absolute.
	Dir string `json:"-"`
	// Failing lists the checks the variant must fail, and only those.
	Failing []string `json:"failing"`
	// Verdict expected (default not-passed).
	Verdict result.Verdict `json:"verdict,omitempty"`
	// Remove lists files of solution/ the variant leaves out.
	Remove []string `json:"remove,omitempty"`
}

// Variants reads every broken/<name>/expect.yaml of the lab, sorted by name;
// an unknown check id, a missing solution file to remove or a bad verdict
// is an error naming the file.
func Variants(l *Lab) ([]Variant, error) {
	dirs, err := filepath.Glob(filepath.Join(l.Dir, "broken", "*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var out []Variant
	var problems []error
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		file := filepath.Join(dir, ExpectFileName)
		raw, err := os.ReadFile(file)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: every broken variant needs one, listing the checks it fails (failing: [ids])", file))
			continue
		}
		v := Variant{Name: filepath.Base(dir), Dir: dir}
		if err := yaml.UnmarshalStrict(raw, &v); err != nil {
			problems = append(problems, fmt.Errorf("%s: %v", file, err))
			continue
		}
		if v.Verdict == "" {
			v.Verdict = result.NotPassed
		}
		if v.Verdict != result.NotPassed && v.Verdict != result.Passed {
			problems = append(problems, fmt.Errorf("%s: verdict must be passed or not-passed, not %q", file, v.Verdict))
		}
		if len(v.Failing) == 0 {
			problems = append(problems, fmt.Errorf("%s: failing must name at least one check", file))
		}
		for _, id := range v.Failing {
			if _, ok := l.Check(id); !ok {
				problems = append(problems, fmt.Errorf("%s: failing names %q, which is not a check of %s", file, id, l.File))
			}
		}
		for _, r := range v.Remove {
			if _, err := os.Stat(filepath.Join(l.Dir, SolutionDir, r)); err != nil || !filepath.IsLocal(r) {
				problems = append(problems, fmt.Errorf("%s: remove names %q, which is not a file of %s/", file, r, SolutionDir))
			}
		}
		out = append(out, v)
	}
	return out, errors.Join(problems...)
}

// Materialize writes the variant's submission into dir: the solution's
// files, minus those removed, with the variant's own files in their place.
// The zero Variant writes the solution as it is.
func (v Variant) Materialize(l *Lab, dir string) error {
	solution := filepath.Join(l.Dir, SolutionDir)
	err := copyTree(solution, dir, func(rel string) bool { return !slices.Contains(v.Remove, rel) })
	if err != nil || v.Dir == "" { // the zero Variant is the solution itself
		return err
	}
	return copyTree(v.Dir, dir, func(rel string) bool { return rel != ExpectFileName })
}

// copyTree copies the regular files of src under dst that keep accepts.
func copyTree(src, dst string, keep func(rel string) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() || !keep(filepath.ToSlash(rel)) {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, raw, 0o644)
	})
}
