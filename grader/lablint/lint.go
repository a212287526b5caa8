// Package lablint finds what can be wrong with a lab without a cluster,
// beyond what loading already refuses: a passing score of 0, checks
// without hints, images the manifests use but the lab does not declare
// (nodes cannot pull them), a missing solution, broken variants that name
// checks that do not exist.
package lablint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/lab"
)

// Lint returns every problem found in a loaded lab, each naming its file
// (and line when known).
func Lint(l *lab.Lab) []lab.Problem {
	var out []lab.Problem
	add := func(file string, line int, format string, a ...any) {
		out = append(out, lab.Problem{File: file, Line: line, Col: 1, Msg: fmt.Sprintf(format, a...)})
	}
	for i, c := range l.Spec.Checks {
		if len(c.Hints) == 0 {
			at := fmt.Sprintf("spec.checks[%d].id", i)
			out = append(out, lab.Problem{File: l.File, Line: l.Line(at), Col: l.Col(at),
				Msg: fmt.Sprintf("check %q has no hint: a learner who fails it is left without a lead", c.ID)})
		}
	}
	if l.Spec.PassingScore == 0 {
		out = append(out, lab.Problem{File: l.File, Line: l.Line("spec.passingScore"), Col: l.Col("spec.passingScore"),
			Msg: "passingScore 0 passes every submission on score alone; set the percentage a learner must reach"})
	}
	declared := map[string]bool{}
	for _, img := range l.Spec.Cluster.Images {
		declared[img.Name] = true
	}
	dirs := []string{filepath.Join(l.Dir, lab.SolutionDir)}
	for _, s := range l.Spec.Setup {
		dirs = append(dirs, filepath.Join(l.Dir, s.Apply))
	}
	if st, err := os.Stat(dirs[0]); err != nil || !st.IsDir() {
		add(dirs[0], 0, "the lab has no solution/ directory: lab test cannot prove it")
		dirs = dirs[1:]
	}
	for _, dir := range dirs {
		objs, err := apply.Read(dir)
		if err != nil {
			add(dir, 0, "%v", err)
			continue
		}
		for _, o := range objs {
			for _, img := range imagesOf(o.Unstructured) {
				if !declared[img] {
					add(o.File, o.Line, "%s uses image %s, which is not one of spec.cluster.images in %s (the nodes cannot pull it)", o.Ref(), img, l.File)
				}
			}
		}
	}
	if vs, err := lab.Variants(l); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			file, msg, _ := strings.Cut(line, ": ")
			out = append(out, lab.Problem{File: file, Msg: msg})
		}
	} else if len(vs) == 0 {
		add(filepath.Join(l.Dir, "broken"), 0, "no broken variants: nothing proves that the checks can fail")
	}
	return out
}

// imagesOf lists the container images of a pod or of the pod template of a
// workload.
func imagesOf(o *unstructured.Unstructured) []string {
	var podPath []string
	switch o.GetKind() {
	case "Pod":
		podPath = []string{"spec"}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		podPath = []string{"spec", "template", "spec"}
	case "CronJob":
		podPath = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return nil
	}
	var out []string
	for _, field := range []string{"initContainers", "containers"} {
		list, _, _ := unstructured.NestedSlice(o.Object, append(slices.Clone(podPath), field)...)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				if img, ok := m["image"].(string); ok {
					out = append(out, img)
				}
			}
		}
	}
	return out
}
