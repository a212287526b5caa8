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
	err := Retarget(objs, "ml-serving", "ml-serving-7")
	require.Error(t, err)
	assert.Equal(t, `sub/a.yaml:3: Deployment/escape: names namespace "kube-system"; the lab's objects live in its namespace "ml-serving" (leave metadata.namespace out)`, err.Error())

	assert.Equal(t, "", objs[0].GetNamespace(), "no namespace: Apply puts it in the grading's")
	assert.Equal(t, "ml-serving-7", objs[1].GetNamespace())
	assert.Equal(t, "ml-serving-7", objs[2].GetName(), "the lab's Namespace object becomes the grading's")
	subjects, _, _ := unstructured.NestedSlice(objs[3].Object, "subjects")
	assert.Equal(t, "ml-serving-7", subjects[0].(map[string]any)["namespace"])
	assert.Equal(t, "kube-system", subjects[1].(map[string]any)["namespace"], "only the lab's namespace moves")
	assert.Nil(t, subjects[2].(map[string]any)["namespace"])
	assert.Equal(t, "kube-system", objs[4].GetNamespace(), "a refused object is left as written")

	kept := InNamespace(objs, "ml-serving-7")
	assert.Len(t, kept, 4)
	for _, o := range kept {
		assert.NotEqual(t, "escape", o.GetName())
	}

	same := []Object{obj(t, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "named", "namespace": "ml-serving"}})}
	assert.NoError(t, Retarget(same, "ml-serving", "ml-serving"), "grading in the lab's own namespace changes nothing")
	assert.Equal(t, "ml-serving", same[0].GetNamespace())
}
