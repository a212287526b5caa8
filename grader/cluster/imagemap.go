package cluster

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/client-go/rest"
)

// LabImagePrefix is the registry host every lab names its own images
// under: they are built on the grading host and never pulled from it.
const LabImagePrefix = "labgrade.local/"

// ImageMap maps a lab's image references to a registry a cluster can pull
// from: labgrade.local/NAME:TAG is REGISTRY/PREFIX/NAME:TAG in the
// cluster. It is applied on the wire between labgrade and the API server
// (MapImages), in both directions, so that the lab's manifests, the
// learner's, every check and every report keep the lab's names, while the
// objects the cluster stores, and its kubelets pull, name the registry.
type ImageMap struct {
	// Registry is REGISTRY/PREFIX as given, without a trailing slash.
	Registry string
	// Insecure allows plain HTTP to the registry (a local one).
	Insecure bool
}

// NewImageMap checks that registry is REGISTRY[:PORT][/PREFIX...] and that
// it names a registry host (a dot, a port or localhost), as a reference
// to an image under it must.
func NewImageMap(registry string, insecure bool) (*ImageMap, error) {
	registry = strings.TrimSuffix(registry, "/")
	probe := registry + "/labgrade-probe:1"
	ref, err := name.NewTag(probe, name.StrictValidation)
	if err != nil || registry == "" {
		return nil, fmt.Errorf("--registry %q is not REGISTRY/PREFIX (e.g. registry.example.com:5000/labgrade): %v", registry, err)
	}
	host := ref.Context().RegistryStr()
	if !strings.HasPrefix(registry, host) || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return nil, fmt.Errorf("--registry %q must start with a registry host (with a dot or a port, or localhost), e.g. registry.example.com/labgrade", registry)
	}
	if strings.HasPrefix(registry+"/", LabImagePrefix) {
		return nil, fmt.Errorf("--registry %q is where labgrade's images come from, not a registry", registry)
	}
	return &ImageMap{Registry: registry, Insecure: insecure || isLocal(host)}, nil
}

func isLocal(host string) bool {
	h := host
	if i := strings.LastIndex(h, ":"); i >= 0 {
		h = h[:i]
	}
	return h == "localhost" || h == "127.0.0.1" || h == "[::1]"
}

// ToCluster is the reference the cluster uses for a lab image ("" for a
// reference that is not a lab image).
func (m *ImageMap) ToCluster(ref string) string {
	if rest, ok := strings.CutPrefix(ref, LabImagePrefix); ok {
		return m.Registry + "/" + rest
	}
	return ""
}

// MapImages returns clients whose requests name m's registry where the
// lab names labgrade.local/, and whose answers (watches included) name
// labgrade.local/ where the cluster names the registry. The clients speak
// JSON, the one encoding the mapping reads.
func (c *Clients) MapImages(m *ImageMap) (*Clients, error) {
	cfg := rest.CopyConfig(c.Config)
	cfg.ContentType = "application/json"
	cfg.AcceptContentTypes = "application/json"
	toCluster := replacement{from: []byte(LabImagePrefix), to: []byte(m.Registry + "/")}
	toLab := replacement{from: []byte(m.Registry + "/"), to: []byte(LabImagePrefix)}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &mappingTransport{next: rt, toCluster: toCluster, toLab: toLab}
	})
	out, err := newClients(cfg, nil, c.Context)
	if err != nil {
		return nil, err
	}
	out.Images = m
	return out, nil
}

// mappingTransport rewrites JSON and YAML bodies: requests toward the
// cluster's names, answers toward the lab's.
type mappingTransport struct {
	next             http.RoundTripper
	toCluster, toLab replacement
}

func (t *mappingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && textual(req.Header.Get("Content-Type")) {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = t.toCluster.all(body)
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode == http.StatusSwitchingProtocols || !textual(resp.Header.Get("Content-Type")) {
		return resp, err // exec and port-forward streams pass untouched
	}
	resp.Body = &replacingReader{src: resp.Body, r: t.toLab}
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

// textual reports a JSON or YAML body (the API server's JSON, apply
// patches, watch streams), which the mapping rewrites; protobuf, CBOR and
// streams of other kinds pass as they are.
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	// a watch is application/json;stream=watch: the parameter is dropped
	return mt == "application/json" || mt == "application/yaml" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+yaml")
}

// replacement replaces from by to where from starts a reference: not
// preceded by a character that could continue a host name, so that
// "notlabgrade.local/" stays as it is.
type replacement struct{ from, to []byte }

func hostChar(b byte) bool {
	return b == '.' || b == '-' || b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// all replaces in a whole body.
func (r replacement) all(b []byte) []byte {
	out, _ := r.upTo(b, len(b), 0)
	return out
}

// upTo replaces the matches that start in b[:limit] (searching all of b,
// so that a match may run past limit) and copies the rest of b[:limit];
// prev is the byte before b (0 at the start). It returns the result and
// how much of b it consumed: limit, or more when a match ran past it.
func (r replacement) upTo(b []byte, limit int, prev byte) ([]byte, int) {
	var out []byte
	i := 0
	for i < limit {
		j := bytes.Index(b[i:], r.from)
		if j < 0 || i+j >= limit {
			out = append(out, b[i:limit]...)
			return out, limit
		}
		j += i
		before := prev
		if j > 0 {
			before = b[j-1]
		}
		out = append(out, b[i:j]...)
		if hostChar(before) {
			out = append(out, b[j])
			i = j + 1
			continue
		}
		out = append(out, r.to...)
		i = j + len(r.from)
	}
	return out, i
}

// replacingReader applies a replacement to a stream (a watch's events
// arrive over minutes): of what it has read, it holds back only an end
// that could begin a match the next read completes.
type replacingReader struct {
	src     io.ReadCloser
	r       replacement
	pending []byte // read, not yet replaced
	ready   []byte // replaced, not yet returned
	prev    byte   // the last byte replaced, before pending
	eof     bool
	err     error
	buf     []byte
}

func (rr *replacingReader) Read(p []byte) (int, error) {
	for len(rr.ready) == 0 {
		if rr.eof {
			if len(rr.pending) > 0 {
				rr.ready, _ = rr.r.upTo(rr.pending, len(rr.pending), rr.prev)
				rr.pending = nil
				continue
			}
			return 0, rr.err
		}
		if rr.buf == nil {
			rr.buf = make([]byte, 32<<10)
		}
		n, err := rr.src.Read(rr.buf)
		rr.pending = append(rr.pending, rr.buf[:n]...)
		if err != nil {
			rr.eof, rr.err = true, err
			continue
		}
		// replace all but a tail that could be the start of a match
		// that the next read completes: only a tail that is a prefix of
		// from, so that a watch event's end is never held back waiting
		// for the next event
		safe := len(rr.pending) - heldBack(rr.pending, rr.r.from)
		if safe <= 0 {
			continue
		}
		out, used := rr.r.upTo(rr.pending, safe, rr.prev)
		rr.prev = rr.pending[used-1]
		rr.pending = append([]byte(nil), rr.pending[used:]...)
		rr.ready = out
	}
	n := copy(p, rr.ready)
	rr.ready = rr.ready[n:]
	return n, nil
}

// heldBack is the length of the longest end of b that is a proper prefix
// of from.
func heldBack(b, from []byte) int {
	for k := min(len(from)-1, len(b)); k > 0; k-- {
		if bytes.HasPrefix(from, b[len(b)-k:]) {
			return k
		}
	}
	return 0
}

func (rr *replacingReader) Close() error { return rr.src.Close() }
