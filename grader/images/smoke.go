package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Probe says how to smoke-test an image as a plain container: it must start,
// its ready path must answer 200 within Timeout, and then Request (if set)
// must answer WantStatus.
type Probe struct {
	Port      string // container port, e.g. "8080/tcp"
	ReadyPath string
	Env       map[string]string
	// Files are copied into the container before it starts (path -> content).
	Files   map[string][]byte
	Timeout time.Duration
	// Method, Path and Body of one real request.
	Method, Path, Body string
	WantStatus         int
	// After is a second request, sent after the first (and a delay).
	After *Request
}

// Request is one more request of a smoke test.
type Request struct {
	Method, Path, Body string
	Delay              time.Duration
}

// SmokeResult is what the smoke test saw.
type SmokeResult struct {
	Ready      time.Duration // from start until ready
	Status     int
	Body       string
	RunsAsRoot bool
	// AfterStatus and AfterBody answer Probe.After.
	AfterStatus int
	AfterBody   string
}

// Smoke runs the image as a container with testcontainers-go, waits for it
// to be ready (an HTTP wait strategy), sends one request, and removes the
// container (labgrade runs without testcontainers' reaper, so it cleans up
// itself).
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
			Image: ref, ExposedPorts: []string{p.Port}, Env: p.Env, Files: files,
			WaitingFor: wait.ForHTTP(p.ReadyPath).WithPort(p.Port).WithStartupTimeout(p.Timeout).WithPollInterval(100 * time.Millisecond),
		},
		Started: true,
	})
	if c != nil {
		defer func() { _ = c.Terminate(context.Background()) }()
	}
	if err != nil {
		return nil, fmt.Errorf("container %s did not become ready on %s within %s: %w", ref, p.ReadyPath, p.Timeout, err)
	}
	res := &SmokeResult{Ready: time.Since(start)}
	if insp, err := c.Inspect(ctx); err == nil {
		u := insp.Config.User
		res.RunsAsRoot = u == "" || u == "0" || u == "root" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:")
	}
	if p.Path == "" {
		return res, nil
	}
	endpoint, err := c.PortEndpoint(ctx, p.Port, "http")
	if err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, orDefault(p.Method, "GET"), endpoint+p.Path, strings.NewReader(p.Body))
	if err != nil {
		return res, err
	}
	res.Status, res.Body, err = do(req)
	if err != nil {
		return res, fmt.Errorf("request to %s: %w", ref, err)
	}
	if p.WantStatus != 0 && res.Status != p.WantStatus {
		return res, fmt.Errorf("%s %s on %s answered %d, want %d: %s", req.Method, p.Path, ref, res.Status, p.WantStatus, strings.TrimSpace(res.Body))
	}
	if a := p.After; a != nil {
		time.Sleep(a.Delay)
		req, err := http.NewRequestWithContext(ctx, orDefault(a.Method, "GET"), endpoint+a.Path, strings.NewReader(a.Body))
		if err != nil {
			return res, err
		}
		if res.AfterStatus, res.AfterBody, err = do(req); err != nil {
			return res, fmt.Errorf("request to %s: %w", ref, err)
		}
	}
	return res, nil
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

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
