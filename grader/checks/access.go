package checks

import (
	"context"
	"fmt"
	"strings"

	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runAccess) }

// runAccess asks the API server, one SubjectAccessReview per expected
// request, what the service account may do, and compares every answer
// with the lab's. The answers come from the cluster's authorizers (RBAC),
// exactly as the account's pods would get them. RBAC authorizes from a
// cache of Roles and bindings, so a binding applied a moment ago may not
// count yet: the questions are asked again (askAgain) until the answers
// are the expected ones or the check's time is up.
func runAccess(ctx context.Context, env Env, a *spec.AccessCheck) (string, error) {
	ns := env.ns(a.Namespace)
	for _, r := range a.Expect {
		if err := served(env, r); err != nil {
			return "", err
		}
	}
	return askAgain(ctx, func(ctx context.Context) (string, error) { return askAccess(ctx, env, ns, a) })
}

// askAccess asks every question of the check once: a Failure lists the
// answers that differ from the lab's.
func askAccess(ctx context.Context, env Env, ns string, a *spec.AccessCheck) (string, error) {
	who := fmt.Sprintf("service account %s in namespace %s", a.ServiceAccount, ns)
	var differ, answers []string
	for _, r := range a.Expect {
		allowed, reason, err := env.Clients.MayDo(ctx, ns, a.ServiceAccount, authzv1.ResourceAttributes{
			Namespace: ns, Verb: r.Verb, Group: r.Group, Resource: r.Resource, Subresource: r.Subresource, Name: r.Name,
		})
		if err != nil {
			return "", fmt.Errorf("asking the API server whether %s may %s: %w", who, r, err)
		}
		answer := "cannot " + r.String()
		if allowed {
			answer = "can " + r.String()
		}
		if allowed == r.Allowed {
			answers = append(answers, answer)
			continue
		}
		want := "denied"
		if r.Allowed {
			want = "allowed"
		}
		if reason != "" {
			want += " (" + reason + ")"
		}
		differ = append(differ, answer+", expected "+want)
	}
	if len(differ) > 0 {
		return "", Failf("%s %s", who, strings.Join(differ, "; "))
	}
	return who + " " + strings.Join(answers, ", "), nil
}

// served refuses a request about a resource the cluster does not serve:
// RBAC denies it whatever the roles say, so an expected "denied" would pass
// for nothing. Wildcards and subresources are taken as written.
func served(env Env, r spec.AccessRequest) error {
	if r.Resource == "*" || r.Group == "*" {
		return nil
	}
	gvr := schema.GroupVersionResource{Group: r.Group, Resource: r.Resource}
	found, err := env.Clients.Mapper.ResourcesFor(gvr)
	if meta.IsNoMatchError(err) {
		env.Clients.Mapper.Reset() // a CRD may have been created since
		found, err = env.Clients.Mapper.ResourcesFor(gvr)
	}
	switch {
	case meta.IsNoMatchError(err):
		return fmt.Errorf("the cluster serves no resource %q in group %q: the lab asks about %s, which RBAC can never allow", r.Resource, r.Group, r)
	case err != nil:
		return fmt.Errorf("looking up resource %q in group %q: %v", r.Resource, r.Group, err)
	}
	// the mapper also knows singulars (secret), which RBAC rules never match
	for _, f := range found {
		if f.Resource == r.Resource {
			return nil
		}
	}
	return fmt.Errorf("the lab asks about %s, which RBAC can never allow: RBAC calls the resource %q", r, found[0].Resource)
}
