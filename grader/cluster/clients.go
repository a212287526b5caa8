package cluster

import (
	"fmt"
	"net/http"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// Clients are the API clients the grader uses on one cluster.
type Clients struct {
	Config  *rest.Config
	Typed   kubernetes.Interface
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources; Reset it after CRDs are created.
	Mapper meta.ResettableRESTMapper
	// Context is the kubeconfig context in use, for messages.
	Context string
	// Images is the mapping of the lab's images to a registry the
	// cluster pulls from (MapImages), nil when the nodes hold them.
	Images *ImageMap

	httpOnce   sync.Once
	httpClient *http.Client
	httpErr    error
}

// HTTPClient is an http.Client authenticated to the API server, for
// requests the typed clients cannot express (raw service-proxy calls).
func (c *Clients) HTTPClient() (*http.Client, error) {
	c.httpOnce.Do(func() { c.httpClient, c.httpErr = rest.HTTPClientFor(c.Config) })
	return c.httpClient, c.httpErr
}

// Connect builds clients from a kubeconfig file (empty: the usual loading
// rules, $KUBECONFIG then ~/.kube/config, read-only) and context (empty: the
// current one).
func Connect(kubeconfig, kubeContext string) (*Clients, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	raw, _ := cc.RawConfig()
	ctxName := kubeContext
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	// Grading runs many concurrent watches and requests; client-go's default
	// of 5 QPS would make checks wait on the client, not the cluster. A
	// shared API server (a class graded on a managed cluster) may ask for
	// less: --api-qps.
	cfg.QPS, cfg.Burst = rateLimit()
	// The API server's warnings (a pod that would violate the restricted
	// Pod Security level, a deprecated API) name the learner's objects:
	// client-go would print them raw on stderr, beside labgrade's own
	// lines. What a learner must know reaches the report instead.
	cfg.WarningHandler = rest.NoWarnings{}
	return newClients(cfg, nil, ctxName)
}

// newClients makes the typed and dynamic clients of cfg; a nil mapper
// gets one of its own, from the API server's discovery.
func newClients(cfg *rest.Config, mapper meta.ResettableRESTMapper, kubeContext string) (*Clients, error) {
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if mapper == nil {
		mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(typed.Discovery()))
	}
	return &Clients{Config: cfg, Typed: typed, Dynamic: dyn, Mapper: mapper, Context: kubeContext}, nil
}
