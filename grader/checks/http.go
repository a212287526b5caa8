package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labgrade/labgrade/grader/expr"
	"github.com/labgrade/labgrade/grader/match"
	"github.com/labgrade/labgrade/grader/spec"
)

func init() { register(runHTTP) }

// runHTTP sends the request through the API server's service proxy once a
// second until one answer passes or the check times out. The proxy needs no
// port-forward and exposes nothing on the host, and it answers 503 while a
// Service has no ready endpoint, which counts as the learner's failure.
func runHTTP(ctx context.Context, env Env, h *spec.HTTPCheck) (string, error) {
	progs, err := h.Programs()
	if err != nil {
		return "", err
	}
	ns := env.ns(h.Namespace)
	target := h.Service + ":" + h.Port.String()
	if h.Scheme == "https" {
		target = "https:" + target
	}
	for {
		err := tryHTTP(ctx, env, h, ns, target, progs)
		if err == nil {
			return "", nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return "", errInterrupted
			}
			return "", err
		case <-time.After(time.Second):
		}
	}
}

// serviceProxyURL is the API server's proxy URL for path on a Service's
// port (target is NAME or NAME:PORT): what http and job checks request
// with the clients' authenticated http.Client.
func serviceProxyURL(env Env, ns, target, path string) string {
	return strings.TrimSuffix(env.Clients.Config.Host, "/") + "/api/v1/namespaces/" + url.PathEscape(ns) +
		"/services/" + url.PathEscape(target) + "/proxy" + path
}

// proxyCall makes one request through the API server's proxy with the
// clients' authenticated http.Client (10 s at most) and reads up to 1 MiB
// of the answer. The URL is built by hand because client-go's REST client
// turns a non-2xx answer that is not a Kubernetes Status into an error
// without its status code or body, and checks need both. An error with
// status 0 means no answer came: the API server did not answer (the
// environment's fault, unless the check's own time ran out); with a
// status, the answer came and could not be read (the learner's).
func proxyCall(ctx context.Context, env Env, method, u, body string) (status int, answer []byte, latency time.Duration, err error) {
	reqCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, method, u, strings.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	if body != "" && json.Valid([]byte(body)) {
		req.Header.Set("Content-Type", "application/json")
	}
	client, err := env.Clients.HTTPClient()
	if err != nil {
		return 0, nil, 0, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("the API server did not answer: %v", err)
	}
	defer resp.Body.Close()
	answer, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, time.Since(start), fmt.Errorf("reading the answer: %v", err)
	}
	return resp.StatusCode, answer, time.Since(start), nil
}

// tryHTTP makes one request and judges the answer: a *Failure when it is
// not the expected one, another error when the API server itself could not
// be reached (the environment's fault, not the learner's).
func tryHTTP(ctx context.Context, env Env, h *spec.HTTPCheck, ns, target string, progs []*expr.Program) error {
	what := fmt.Sprintf("%s %s on service %s/%s", h.Method, h.Path, ns, target)
	status, body, latency, err := proxyCall(ctx, env, h.Method, serviceProxyURL(env, ns, target, h.Path), h.Body)
	switch {
	case err != nil && status != 0:
		return Failf("%s: %v", what, err)
	case err != nil && ctx.Err() != nil:
		return Failf("%s: no answer before the check timed out", what)
	case err != nil:
		return fmt.Errorf("%s: %v", what, err)
	}
	if status != h.Status {
		return Failf("%s: status %d, expected %d%s", what, status, h.Status, snippet(body))
	}
	var parsed any
	if json.Unmarshal(body, &parsed) != nil {
		parsed = nil
	}
	if h.JSON != nil {
		if parsed == nil {
			return Failf("%s: the answer is not JSON%s", what, snippet(body))
		}
		if m := match.Match(h.JSON, parsed, "json"); m != nil {
			return Failf("%s: %s", what, m)
		}
	}
	vars := map[string]any{"status": int64(status), "body": string(body), "json": parsed, "latencyMs": float64(latency.Microseconds()) / 1000}
	for _, p := range progs {
		ok, err := p.Eval(vars)
		if err != nil || !ok {
			reason := "is false"
			if err != nil {
				reason = "is not satisfied (" + err.Error() + ")"
			}
			return Failf("%s: %s %s", what, p.Source, reason)
		}
	}
	if b := h.LatencyBudget.Duration; b > 0 && latency > b {
		return Failf("%s: answered in %s, budget %s", what, latency.Round(time.Millisecond), b)
	}
	return nil
}

func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return ""
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return ": " + strings.ReplaceAll(s, "\n", " ")
}
