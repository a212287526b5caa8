package checks

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/labgrade/labgrade/grader/expr"
	"github.com/labgrade/labgrade/grader/match"
	"github.com/labgrade/labgrade/grader/spec"
)

func runResource(ctx context.Context, env Env, r *spec.ResourceCheck, progs []*expr.Program) Outcome {
	return watchUntil(ctx, env, r.Target, func(objs []*unstructured.Unstructured) verdict {
		if len(objs) == 0 {
			return verdict{msg: describeTarget(r.Target) + " not found"}
		}
		if r.Name == "" && len(objs) < r.MinCount {
			return verdict{msg: fmt.Sprintf("found %d %s, need at least %d", len(objs), describeTarget(r.Target), r.MinCount)}
		}
		all := make([]any, len(objs))
		for i, o := range objs {
			all[i] = o.Object
		}
		for _, o := range objs {
			if m := match.Match(r.Expect, o.Object, ""); r.Expect != nil && m != nil {
				return verdict{msg: fmt.Sprintf("%s/%s: %s", o.GetKind(), o.GetName(), m)}
			}
			for _, p := range progs {
				ok, err := p.Eval(map[string]any{"object": o.Object, "objects": all})
				switch {
				case err != nil:
					return verdict{msg: fmt.Sprintf("%s/%s: %s is not satisfied (%v)", o.GetKind(), o.GetName(), p.Source, err)}
				case !ok:
					return verdict{msg: fmt.Sprintf("%s/%s: %s is false", o.GetKind(), o.GetName(), p.Source)}
				}
			}
		}
		return verdict{ok: true}
	})
}

func runAbsent(ctx context.Context, env Env, a *spec.AbsentCheck, progs []*expr.Program) Outcome {
	return watchUntil(ctx, env, a.Target, func(objs []*unstructured.Unstructured) verdict {
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
			return verdict{ok: true}
		}
		msg := strings.Join(offenders[:min(3, len(offenders))], ", ")
		if len(offenders) > 3 {
			msg += fmt.Sprintf(" and %d more", len(offenders)-3)
		}
		if why != "" {
			msg += " (" + why + ")"
		}
		return verdict{msg: "should not exist but found: " + msg}
	})
}
