package checks

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/labgrade/labgrade/grader/match"
	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runResource) }

// runResource waits until the targeted objects exist and each matches.
func runResource(ctx context.Context, env Env, r *spec.ResourceCheck) (string, error) {
	progs, err := r.Programs()
	if err != nil {
		return "", err
	}
	return "", watchUntil(ctx, env, r.Target, func(objs []*unstructured.Unstructured) error {
		if len(objs) == 0 {
			return Failf("%s not found", describeTarget(r.Target))
		}
		if r.Selects != "" {
			var err error
			if objs, err = selecting(ctx, env, objs, r.Selects); err != nil {
				return err
			}
		}
		if r.Name == "" && len(objs) < r.MinCount {
			return Failf("found %d %s, need at least %d", len(objs), describeTarget(r.Target), r.MinCount)
		}
		all := make([]any, len(objs))
		for i, o := range objs {
			all[i] = o.Object
		}
		for _, o := range objs {
			if m := match.Match(r.Expect, o.Object, ""); r.Expect != nil && m != nil {
				return Failf("%s/%s: %s", o.GetKind(), o.GetName(), m)
			}
			for _, p := range progs {
				ok, err := p.Eval(map[string]any{"object": o.Object, "objects": all})
				switch {
				case err != nil:
					return Failf("%s/%s: %s is not satisfied (%v)", o.GetKind(), o.GetName(), p.Source, err)
				case !ok:
					return Failf("%s/%s: %s is false", o.GetKind(), o.GetName(), p.Source)
				}
			}
		}
		return nil
	})
}
