package apply

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func typed(apiVersion, kind, name string) Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	return Object{Unstructured: u}
}

// Files sort deployment.yaml before serviceaccount.yaml; the Deployment
// is applied after the ServiceAccount its pods need all the same, and
// after the ConfigMap they mount. The rest keep the files' order.
func TestApplyOrderPutsWorkloadsLast(t *testing.T) {
	in := []Object{
		typed("apps/v1", "Deployment", "model-server"),
		typed("batch/v1", "CronJob", "retrain"),
		typed("networking.k8s.io/v1", "NetworkPolicy", "deny"),
		typed("v1", "Service", "model-server"),
		typed("v1", "ServiceAccount", "model-server"),
		typed("v1", "Pod", "debug"),
		typed("rbac.authorization.k8s.io/v1", "RoleBinding", "model-server"),
		typed("v1", "ConfigMap", "config"),
		typed("example.com/v1", "Deployment", "not-a-workload"),
		typed("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com"),
		typed("v1", "Namespace", "extra"),
	}
	var got []string
	for _, o := range inApplyOrder(in) {
		got = append(got, o.GetKind()+"/"+o.GetName())
	}
	assert.Equal(t, []string{
		"Namespace/extra",
		"CustomResourceDefinition/widgets.example.com",
		"NetworkPolicy/deny", "Service/model-server", "ServiceAccount/model-server",
		"RoleBinding/model-server", "ConfigMap/config", "Deployment/not-a-workload",
		"Deployment/model-server", "CronJob/retrain", "Pod/debug",
	}, got)
	assert.Equal(t, "Deployment", in[0].GetKind(), "the caller's slice is left as it was")
}
