package images

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// ErrNotReady is wrapped by Smoke's error when the container never became
// ready: the image's fault, not the host's.
var ErrNotReady = errors.New("container did not become ready")

// Probe says how to smoke-test an image as a plain container: it must start
// and its ready path answer 200 within Timeout; then each request is sent in
// order and its answer recorded (judging the answers is the caller's).
type Probe struct {
	Port      string // container port, e.g. "8080/tcp"
	ReadyPath string
	Env       map[string]string
	// Cmd are the arguments given to the image's entrypoint.
	Cmd []string
	// Files are copied into the container before it starts (path -> content).
	Files    map[string][]byte
	Timeout  time.Duration
	Requests []Request
}

// Request is one request of a smoke test, sent after Delay.
type Request struct {
	Method, Path, Body string
	Delay              time.Duration
}

// Answer is what one request got.
type Answer struct {
	Status  int
	Body    string
	Latency time.Duration
}

// SmokeResult is what the smoke test saw.
type SmokeResult struct {
	Ready      time.Duration // from start until ready
	User       string        // the image's configured user ("" = root)
	RunsAsRoot bool
	Answers    []Answer // one per request, up to the first that got no answer
}

// Smoke runs the image as a container with testcontainers-go, waits for it
// to be ready (an HTTP wait strategy), sends the requests, and removes the
// container (labgrade runs without testcontainers' reaper, so it cleans up
// itself). An error means the container did not become ready or a request
// got no HTTP answer; the result holds what was seen until then.
func Smoke(ctx context.Context, ref string, p Probe) (*SmokeResult, error) {
	if p.Timeout == 0 {
		p.Timeout = 30 * time.Second
	}
	var files []testcontainers.ContainerFile
	for path, content := range p.Files {
		files = append(files, testcontainers.ContainerFile{Reader: bytes.NewReader(content), ContainerFilePath: path, FileMode: 0o644})
	}
	start := time.Now()
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: ref, ExposedPorts: []string{p.Port}, Env: p.Env, Files: files, Cmd: p.Cmd,
			WaitingFor: wait.ForHTTP(p.ReadyPath).WithPort(p.Port).WithStartupTimeout(p.Timeout).WithPollInterval(100 * time.Millisecond),
		},
		Started: true,
	})
	if c != nil {
		defer func() { _ = c.Terminate(context.Background()) }()
	}
	if err != nil {
		if ctx.Err() == nil && c != nil {
			return nil, fmt.Errorf("%w: %s on %s within %s (%v)", ErrNotReady, ref, p.ReadyPath, p.Timeout, err)
		}
		return nil, fmt.Errorf("starting container %s: %w", ref, err)
	}
	res := &SmokeResult{Ready: time.Since(start)}
	if insp, err := c.Inspect(ctx); err == nil {
		u := insp.Config.User
		res.User = u
		res.RunsAsRoot = u == "" || u == "0" || u == "root" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:")
	}
	if len(p.Requests) == 0 {
		return res, nil
	}
	endpoint, err := c.PortEndpoint(ctx, p.Port, "http")
	if err != nil {
		return res, err
	}
	for _, r := range p.Requests {
		if err := sleepCtx(ctx, r.Delay); err != nil {
			return res, err
		}
		req, err := http.NewRequestWithContext(ctx, cmp.Or(r.Method, "GET"), endpoint+r.Path, strings.NewReader(r.Body))
		if err != nil {
			return res, err
		}
		t0 := time.Now()
		status, body, err := do(req)
		if err != nil {
			return res, fmt.Errorf("%s %s on %s: %w", req.Method, r.Path, ref, err)
		}
		res.Answers = append(res.Answers, Answer{Status: status, Body: body, Latency: time.Since(t0)})
	}
	return res, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func do(req *http.Request) (int, string, error) {
	if req.Body != nil && req.ContentLength > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), nil
}
