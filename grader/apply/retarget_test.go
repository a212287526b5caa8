package apply

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(t *testing.T, m map[string]any) Object {
	t.Helper()
	return Object{Unstructured: &unstructured.Unstructured{Object: m}, File: "sub/a.yaml", Line: 3}
}

func TestRetarget(t *testing.T) {
	objs := []Object{
		obj(t, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "plain"}}),
		obj(t, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "named", "namespace": "ml-serving"}}),
		obj(t, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "ml-serving"}}),
		obj(t, map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": "rb"},
			"subjects": []any{
				map[string]any{"kind": "ServiceAccount", "name": "mon", "namespace": "ml-serving"},
				map[string]any{"kind": "ServiceAccount", "name": "other", "namespace": "kube-system"},
				map[string]any{"kind": "User", "name": "ml-serving"},
			}}),
		obj(t, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "escape", "namespace": "kube-system"}}),
	}
	kept, refused := Retarget(objs, "ml-serving", "ml-serving-7")
	require.Len(t, refused, 1)
	assert.Equal(t, Refusal{File: "sub/a.yaml", Line: 3, Object: "Deployment/escape",
		Why: `names namespace "kube-system"; the lab's objects live in its namespace "ml-serving" (leave metadata.namespace out)`}, refused[0])
	assert.Equal(t, `sub/a.yaml:3: Deployment/escape: names namespace "kube-system"; the lab's objects live in its namespace "ml-serving" (leave metadata.namespace out)`,
		RefusalsError(refused).Error())

	assert.Equal(t, "", objs[0].GetNamespace(), "no namespace: Apply puts it in the grading's")
	assert.Equal(t, "ml-serving-7", objs[1].GetNamespace())
	assert.Equal(t, "ml-serving-7", objs[2].GetName(), "the lab's Namespace object becomes the grading's")
	subjects, _, _ := unstructured.NestedSlice(objs[3].Object, "subjects")
	assert.Equal(t, "ml-serving-7", subjects[0].(map[string]any)["namespace"])
	assert.Equal(t, "kube-system", subjects[1].(map[string]any)["namespace"], "only the lab's namespace moves")
	assert.Nil(t, subjects[2].(map[string]any)["namespace"])
	assert.Equal(t, "kube-system", objs[4].GetNamespace(), "a refused object is left as written")

	require.Len(t, kept, 4, "the refused object is not kept")
	for _, o := range kept {
		assert.NotEqual(t, "escape", o.GetName())
	}
	assert.Equal(t, "ml-serving-7", kept[1].GetNamespace(), "kept objects are the retargeted ones")

	ev := []Object{obj(t, map[string]any{"apiVersion": "v1", "kind": "Event", "metadata": map[string]any{"name": "e"},
		"involvedObject": map[string]any{"kind": "Deployment", "name": "d", "namespace": "ml-serving"}})}
	_, refused = Retarget(ev, "ml-serving", "ml-serving-7")
	assert.Empty(t, refused)
	ns, _, _ := unstructured.NestedString(ev[0].Object, "involvedObject", "namespace")
	assert.Equal(t, "ml-serving-7", ns, "an Event's object moves with it")

	same := []Object{obj(t, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "named", "namespace": "ml-serving"}})}
	kept, refused = Retarget(same, "ml-serving", "ml-serving")
	assert.Empty(t, refused, "grading in the lab's own namespace changes nothing")
	assert.NoError(t, RefusalsError(refused))
	assert.Len(t, kept, 1)
	assert.Equal(t, "ml-serving", same[0].GetNamespace())
}

// Refusal.String itself is tested in package result.
func TestRefusalsError(t *testing.T) {
	assert.NoError(t, RefusalsError(nil))
	err := RefusalsError([]Refusal{{File: "sub/link.yaml", Why: "a symlink out of the submission"}, {File: "sub/a.yaml", Line: 3, Object: "Pod/p", Why: "why"}})
	assert.EqualError(t, err, "sub/link.yaml: a symlink out of the submission\nsub/a.yaml:3: Pod/p: why")
}
