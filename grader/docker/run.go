package docker

// Running an image as a plain container: container checks and the fixture
// images' smoke tests.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
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
	// Address is where the container was reached, and why there.
	Address Candidate
}

// Smoke runs the image as a container with testcontainers-go, finds where
// its port is reachable from here (see Candidates), waits until the ready
// path answers 200 there, sends the requests, and removes the container
// (labgrade runs without testcontainers' reaper, so it cleans up itself).
//
// Errors: ErrNotReady (wrapped) means the image's program did not become
// ready or the container stopped, the image's fault; *UnreachableError
// means no address reached the container, the host's fault; anything else
// is the engine's. The result holds what was seen until then.
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
		},
		Started: true,
	})
	if c != nil {
		defer func() { _ = c.Terminate(context.Background()) }()
	}
	if err != nil {
		return nil, fmt.Errorf("starting container %s: %w", ref, err)
	}
	at, err := reach(ctx, c, p.Port, p.Timeout, httpReady(p.ReadyPath))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrNotReady) {
			return nil, fmt.Errorf("%s on %s within %s: %w", ref, p.ReadyPath, p.Timeout, err)
		}
		return nil, fmt.Errorf("container %s: %w", ref, err)
	}
	res := &SmokeResult{Ready: time.Since(start), Address: at}
	if insp, err := c.Inspect(ctx); err == nil {
		u := insp.Config.User
		res.User = u
		res.RunsAsRoot = u == "" || u == "0" || u == "root" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:")
	}
	endpoint := "http://" + at.Addr
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

// reach finds where a started container's port answers as ready says,
// within budget: its place, the candidates that follow from it, and the
// wait over them.
func reach(ctx context.Context, c testcontainers.Container, port string, budget time.Duration, ready readyFunc) (Candidate, error) {
	place, err := placeOf(ctx, c, port)
	if err != nil {
		return Candidate{}, err
	}
	cands, err := Candidates(place)
	if err != nil {
		return Candidate{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	return await(wctx, cands, port, 100*time.Millisecond, stillRunning(c), ready)
}

// placeOf reads where the engine put the container and its port.
func placeOf(ctx context.Context, c testcontainers.Container, port string) (Place, error) {
	insp, err := c.Inspect(ctx)
	if err != nil {
		return Place{}, err
	}
	pl := Place{ContainerPort: strings.Split(port, "/")[0], InContainer: inContainer()}
	pl.Explicit, pl.ExplicitWhy = explicitHost()
	pl.DaemonHost = daemonHost()
	if insp.NetworkSettings == nil {
		return pl, nil
	}
	if np, err := network.ParsePort(port); err == nil {
		for _, b := range insp.NetworkSettings.Ports[np] {
			ip := ""
			if b.HostIP.IsValid() {
				ip = b.HostIP.String()
			}
			pl.Bindings = append(pl.Bindings, Binding{HostIP: ip, HostPort: b.HostPort})
		}
	}
	for name, ep := range insp.NetworkSettings.Networks {
		if ep == nil || !ep.IPAddress.IsValid() {
			continue
		}
		pl.Network, pl.ContainerIP = name, ep.IPAddress.String()
		if ep.Gateway.IsValid() {
			pl.Gateway = ep.Gateway.String()
		}
		pl.OnNetwork = onNetwork(pl.ContainerIP, ep.IPPrefixLen)
		break
	}
	return pl, nil
}

// stillRunning fails once the container has stopped, with its exit code
// and last log lines: waiting longer cannot help then.
func stillRunning(c testcontainers.Container) func(context.Context) error {
	return func(ctx context.Context) error {
		st, err := c.State(ctx)
		if err != nil || st.Running {
			return nil // the engine's hiccup is not the image's fault
		}
		msg := fmt.Sprintf("the container exited with code %d", st.ExitCode)
		if logs, err := c.Logs(ctx); err == nil {
			b, _ := io.ReadAll(io.LimitReader(logs, 64<<10))
			logs.Close()
			if tail := lastLines(string(b), 3); tail != "" {
				msg += "; its log ends: " + tail
			}
		}
		return errors.New(msg)
	}
}

// httpReady is ready when GET path answers 200.
func httpReady(path string) readyFunc {
	return func(ctx context.Context, addr string) (bool, string) {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(rctx, "GET", "http://"+addr+path, nil)
		if err != nil {
			return false, err.Error()
		}
		status, _, err := do(req)
		switch {
		case err != nil:
			return false, "GET " + path + ": " + dialError(err)
		case status != http.StatusOK:
			return false, fmt.Sprintf("GET %s answered %d", path, status)
		}
		return true, ""
	}
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

// probePort is where ReachProbe's listener waits inside its container.
const probePort = "7777/tcp"

// probeBanner is what ReachProbe's listener says to every connection, so
// that a proxy that accepts connections for a port nobody serves is not
// taken for the container.
const probeBanner = "labgrade-reach-probe"

// ReachProbe finds where published ports of this engine's containers are
// reachable, with a throw-away container of image (a kind node image: it
// carries socat, which both kind's and labgrade's offline images include)
// that answers every connection with a banner. labgrade doctor reports the
// answer.
func ReachProbe(ctx context.Context, image string) (Candidate, error) {
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: image, ExposedPorts: []string{probePort},
			Entrypoint: []string{"socat", "TCP-LISTEN:7777,fork,reuseaddr", "SYSTEM:echo " + probeBanner},
		},
		Started: true,
	})
	if c != nil {
		defer func() { _ = c.Terminate(context.Background()) }()
	}
	if err != nil {
		return Candidate{}, fmt.Errorf("starting a probe container of %s: %w", image, err)
	}
	// socat answers within a second of its start; the margin is for a
	// loaded host
	return reach(ctx, c, probePort, 10*time.Second, bannerReady)
}

// bannerReady is ready when the listener's banner arrives.
func bannerReady(ctx context.Context, addr string) (bool, string) {
	conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, dialError(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(2 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetReadDeadline(deadline)
	b := make([]byte, len(probeBanner))
	if _, err := io.ReadFull(conn, b); err != nil {
		return false, "connected, but no banner: " + dialError(err)
	}
	if string(b) != probeBanner {
		return false, fmt.Sprintf("connected, but something else answered (%q)", b)
	}
	return true, ""
}
