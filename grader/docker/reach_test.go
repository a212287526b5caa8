package docker

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func addrs(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Addr
	}
	return out
}

// TestCandidates is the choice of addresses for each kind of Docker host.
func TestCandidates(t *testing.T) {
	published := []Binding{{HostIP: "0.0.0.0", HostPort: "32768"}, {HostIP: "::", HostPort: "32768"}}
	bridge := Place{ContainerPort: "8080", Bindings: published, Network: "bridge", Gateway: "172.17.0.1", ContainerIP: "172.17.0.2"}
	with := func(f func(*Place)) Place { p := bridge; f(&p); return p }
	for _, tc := range []struct {
		name  string
		place Place
		want  []string
	}{
		{"local unix socket: loopback only, even with a container marker file but no route to the network",
			with(func(p *Place) { p.DaemonHost = "unix:///var/run/docker.sock"; p.InContainer = false }),
			[]string{"127.0.0.1:32768", "[::1]:32768"}},
		{"no DOCKER_HOST at all is the local default socket",
			with(func(p *Place) { p.Bindings = published[:1] }),
			[]string{"127.0.0.1:32768"}},
		{"Windows named pipe is local",
			with(func(p *Place) { p.DaemonHost = "npipe:////./pipe/docker_engine"; p.Bindings = published[:1] }),
			[]string{"127.0.0.1:32768"}},
		{"remote tcp engine: its host",
			with(func(p *Place) { p.DaemonHost = "tcp://10.1.2.3:2376"; p.Bindings = published[:1] }),
			[]string{"10.1.2.3:32768"}},
		{"remote ssh engine: its host, without user and port",
			with(func(p *Place) { p.DaemonHost = "ssh://me@build.example:2222"; p.Bindings = published[:1] }),
			[]string{"build.example:32768"}},
		{"job container with the host's socket mounted: loopback, then the gateway",
			with(func(p *Place) {
				p.DaemonHost = "unix:///var/run/docker.sock"
				p.InContainer = true
				p.Bindings = published[:1]
			}),
			[]string{"127.0.0.1:32768", "172.17.0.1:32768"}},
		{"this host on the container's network (docker0, Docker-in-Docker): the container's own address and port last",
			with(func(p *Place) { p.InContainer = true; p.OnNetwork = true; p.Bindings = published[:1] }),
			[]string{"127.0.0.1:32768", "172.17.0.1:32768", "172.17.0.2:8080"}},
		{"a port bound to one address is tried there first",
			with(func(p *Place) { p.Bindings = []Binding{{HostIP: "192.168.5.5", HostPort: "40000"}} }),
			[]string{"192.168.5.5:40000", "127.0.0.1:40000"}},
		{"the user's address, and only it",
			with(func(p *Place) {
				p.Explicit, p.ExplicitWhy = "docker.internal", "$LABGRADE_CONTAINER_HOST"
				p.InContainer = true
			}),
			[]string{"docker.internal:32768"}},
		{"an explicit IPv6 address in brackets",
			with(func(p *Place) { p.Explicit, p.ExplicitWhy = "[fd00::1]", "--container-host" }),
			[]string{"[fd00::1]:32768"}},
		{"an unpublished port of a container on this host's network",
			with(func(p *Place) { p.Bindings = nil; p.OnNetwork = true }),
			[]string{"172.17.0.2:8080"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Candidates(tc.place)
			require.NoError(t, err)
			assert.Equal(t, tc.want, addrs(got))
			for _, c := range got {
				assert.NotEmpty(t, c.Why, "every candidate says where it comes from")
			}
		})
	}

	_, err := Candidates(with(func(p *Place) { p.Bindings = nil }))
	require.Error(t, err, "nothing to try")
	assert.Contains(t, err.Error(), EnvContainerHost)
	_, err = Candidates(with(func(p *Place) { p.Bindings = nil; p.Explicit, p.ExplicitWhy = "h", "--container-host" }))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not published")
}

func TestExplicitHostOrder(t *testing.T) {
	t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "tc")
	h, why := explicitHost()
	assert.Equal(t, []string{"tc", "$TESTCONTAINERS_HOST_OVERRIDE"}, []string{h, why})
	t.Setenv(EnvContainerHost, "env")
	h, why = explicitHost()
	assert.Equal(t, []string{"env", "$" + EnvContainerHost}, []string{h, why})
	SetContainerHost("flag")
	defer SetContainerHost("")
	h, why = explicitHost()
	assert.Equal(t, []string{"flag", "--container-host"}, []string{h, why})
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

func running(context.Context) error { return nil }

// TestAwait drives the search against real loopback servers.
func TestAwait(t *testing.T) {
	ready := httpReady("/readyz")
	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			w.WriteHeader(404)
		}
	}))
	defer okSrv.Close()
	okAddr := strings.TrimPrefix(okSrv.URL, "http://")
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer notReady.Close()
	notReadyAddr := strings.TrimPrefix(notReady.URL, "http://")

	t.Run("the first candidate that answers is taken", func(t *testing.T) {
		cands := []Candidate{{closedAddr(t), "nothing"}, {okAddr, "server"}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		at, err := await(ctx, cands, "8080/tcp", 10*time.Millisecond, running, ready)
		require.NoError(t, err)
		assert.Equal(t, cands[1], at)
	})

	t.Run("no candidate connects: the host's fault, every address named", func(t *testing.T) {
		a, b := closedAddr(t), closedAddr(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := await(ctx, []Candidate{{a, "first"}, {b, "second"}}, "8080/tcp", 10*time.Millisecond, running, ready)
		require.ErrorIs(t, err, ErrUnreachable)
		assert.NotErrorIs(t, err, ErrNotReady)
		var ue *UnreachableError
		require.ErrorAs(t, err, &ue)
		assert.Len(t, ue.Attempts, 2)
		assert.Contains(t, err.Error(), a+" (first): connection refused")
		assert.Contains(t, err.Error(), b+" (second): connection refused")
	})

	t.Run("connected but never ready: the image's fault, with what it answered", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := await(ctx, []Candidate{{closedAddr(t), "nothing"}, {notReadyAddr, "server"}}, "8080/tcp", 10*time.Millisecond, running, ready)
		require.ErrorIs(t, err, ErrNotReady)
		assert.NotErrorIs(t, err, ErrUnreachable)
		assert.Contains(t, err.Error(), "GET /readyz answered 503")
	})

	t.Run("a stopped container ends the wait at once", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		_, err := await(ctx, []Candidate{{closedAddr(t), "nothing"}}, "8080/tcp", 10*time.Millisecond,
			func(context.Context) error { return errors.New("the container exited with code 3") }, ready)
		require.ErrorIs(t, err, ErrNotReady)
		assert.Contains(t, err.Error(), "exited with code 3")
		assert.Less(t, time.Since(start), 5*time.Second, "it does not wait for the deadline")
	})

	t.Run("a listener that is not the probe's is not taken", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				_, _ = c.Write([]byte("HTTP/1.1 404 Not Found, from a filter\r\n"))
				c.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err = await(ctx, []Candidate{{l.Addr().String(), "a filter"}}, probePort, 10*time.Millisecond, running, bannerReady)
		require.ErrorIs(t, err, ErrNotReady)
		assert.Contains(t, err.Error(), "connected, but something else answered")

		ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err = await(ctx, []Candidate{{okAddr, "a silent server"}}, probePort, 10*time.Millisecond, running, bannerReady)
		require.ErrorIs(t, err, ErrNotReady)
		assert.Contains(t, err.Error(), "no answer before the deadline")
	})
}
