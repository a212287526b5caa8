package checks

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/labgrade/labgrade/grader/match"
	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runAbsent) }

// runAbsent waits until no targeted object offends.
func runAbsent(ctx context.Context, env Env, a *spec.AbsentCheck) (string, error) {
	progs, err := a.Programs()
	if err != nil {
		return "", err
	}
	return "", watchUntil(ctx, env, a.Target, func(objs []*unstructured.Unstructured) error {
		all := make([]any, len(objs))
		for i, o := range objs {
			all[i] = o.Object
		}
		var offenders []string
		why := ""
		for _, o := range objs {
			if a.Expect != nil && match.Match(a.Expect, o.Object, "") != nil {
				continue
			}
			offends := true
			for _, p := range progs {
				// A runtime error (a missing key) means the object does not
				// have the property the expression looks for.
				if ok, err := p.Eval(map[string]any{"object": o.Object, "objects": all}); err != nil || !ok {
					offends = false
					break
				}
			}
			if offends {
				offenders = append(offenders, o.GetKind()+"/"+o.GetName())
				if why == "" && len(progs) > 0 {
					why = progs[0].Source
				}
			}
		}
		if len(offenders) == 0 {
			return nil
		}
		msg := strings.Join(offenders[:min(3, len(offenders))], ", ")
		if len(offenders) > 3 {
			msg += fmt.Sprintf(" and %d more", len(offenders)-3)
		}
		if why != "" {
			msg += " (" + why + ")"
		}
		return Failf("should not exist but found: %s", msg)
	})
}
