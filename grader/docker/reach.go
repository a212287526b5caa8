package docker

// Where a container's published port can be reached from here.
//
// testcontainers-go guesses this itself: the daemon's host for a remote
// DOCKER_HOST, else "localhost", except that when it believes it runs
// inside a container (a /.dockerenv file) it takes the bridge network's
// gateway, or the host's default route when the network lists no gateway.
// That guess is never checked, and it is wrong on hosts that carry the
// marker file without being a container on the bridge network (a VM image
// built from a container, some CI runners): the default route there leads
// nowhere, or to a filter that answers anything with 404. labgrade makes
// its own list of candidates, tries each with a real connection and says
// which one it took and why; an explicit setting overrides the list.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// EnvContainerHost names the address at which the ports of containers that
// labgrade starts are reachable, when labgrade's own search does not find
// it (for example a Docker engine behind an SSH tunnel). The CLI's
// --container-host flag sets the same.
const EnvContainerHost = "LABGRADE_CONTAINER_HOST"

var containerHost struct {
	sync.Mutex
	value string
}

// SetContainerHost sets the address of published ports for this process
// (the CLI's --container-host); it takes precedence over
// $LABGRADE_CONTAINER_HOST. "" returns to the search.
func SetContainerHost(host string) {
	containerHost.Lock()
	defer containerHost.Unlock()
	containerHost.value = host
}

// explicitHost is the address the user named, and where they named it.
func explicitHost() (host, why string) {
	containerHost.Lock()
	v := containerHost.value
	containerHost.Unlock()
	if v != "" {
		return v, "--container-host"
	}
	if v := os.Getenv(EnvContainerHost); v != "" {
		return v, "$" + EnvContainerHost
	}
	// testcontainers-go's own override: a user who set it for other tools
	// meant the same thing.
	if v := os.Getenv("TESTCONTAINERS_HOST_OVERRIDE"); v != "" {
		return v, "$TESTCONTAINERS_HOST_OVERRIDE"
	}
	return "", ""
}

// Candidate is one address to try for a container's port.
type Candidate struct {
	// Addr is host:port.
	Addr string
	// Why says where the address comes from, for diagnostics.
	Why string
}

func (c Candidate) String() string { return c.Addr + " (" + c.Why + ")" }

// Binding is one published port as the engine reports it.
type Binding struct{ HostIP, HostPort string }

// Place is what is known about where a container runs, from the engine
// and from this host; candidates are derived from it alone, so the choice
// is a pure function that tests can drive for every kind of Docker host.
type Place struct {
	// DaemonHost is the engine's address as the client uses it, e.g.
	// unix:///var/run/docker.sock, tcp://10.0.0.5:2376, ssh://me@build.
	DaemonHost string
	// Explicit is an address the user named; ExplicitWhy says where.
	Explicit, ExplicitWhy string
	// ContainerPort is the port inside the container ("8080").
	ContainerPort string
	// Bindings are where the engine published ContainerPort.
	Bindings []Binding
	// Network is the name of the container's network, Gateway that
	// network's gateway and ContainerIP the container's address on it.
	Network, Gateway, ContainerIP string
	// InContainer: labgrade itself seems to run in a container (a
	// /.dockerenv or /run/.containerenv marker).
	InContainer bool
	// OnNetwork: one of this host's interfaces is on the container's
	// network, so the container's own address is routable from here.
	OnNetwork bool
}

// Candidates lists where to try the container's port, best first:
//  1. the address the user named (and nothing else: they said so);
//  2. a specific host address the port is bound to;
//  3. the daemon's host, when the daemon is reached over tcp or ssh;
//  4. loopback, when the daemon is local (a unix socket or named pipe);
//  5. the network's gateway, when labgrade runs in a container (a job
//     container with the host's socket mounted reaches the host that way);
//  6. the container's own address and unpublished port, when this host is
//     on the container's network (Docker-in-Docker, a sibling container).
func Candidates(p Place) ([]Candidate, error) {
	var hostPort string
	for _, b := range p.Bindings {
		if b.HostPort != "" {
			hostPort = b.HostPort
			break
		}
	}
	var out []Candidate
	seen := map[string]bool{}
	add := func(host, port, why string) {
		if host == "" || port == "" {
			return
		}
		addr := net.JoinHostPort(host, port)
		if !seen[addr] {
			seen[addr] = true
			out = append(out, Candidate{Addr: addr, Why: why})
		}
	}
	if p.Explicit != "" {
		if hostPort == "" {
			return nil, fmt.Errorf("container port %s is not published, so %s=%s cannot be used", p.ContainerPort, p.ExplicitWhy, p.Explicit)
		}
		add(strings.Trim(p.Explicit, "[]"), hostPort, p.ExplicitWhy)
		return out, nil
	}
	for _, b := range p.Bindings {
		if b.HostIP != "" && !net.ParseIP(b.HostIP).IsUnspecified() {
			add(b.HostIP, b.HostPort, "the address the port is published on")
		}
	}
	switch scheme, host := daemonAddress(p.DaemonHost); scheme {
	case "tcp", "http", "https", "ssh":
		add(host, hostPort, "the Docker engine's host, "+p.DaemonHost)
	default: // unix socket, Windows named pipe, or no DOCKER_HOST at all
		add("127.0.0.1", hostPort, "loopback: the Docker engine is local")
		for _, b := range p.Bindings {
			if b.HostIP == "::" {
				add("::1", b.HostPort, "loopback: the Docker engine is local")
			}
		}
	}
	if p.InContainer {
		add(p.Gateway, hostPort, fmt.Sprintf("the gateway of network %s: labgrade runs in a container", p.Network))
	}
	if p.OnNetwork {
		add(p.ContainerIP, p.ContainerPort, fmt.Sprintf("the container's own address on network %s", p.Network))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("container port %s is not published and the container's own address is not routable from here; set %s", p.ContainerPort, EnvContainerHost)
	}
	return out, nil
}

// daemonAddress splits DOCKER_HOST-style addresses into scheme and host.
func daemonAddress(daemon string) (scheme, host string) {
	u, err := url.Parse(daemon)
	if err != nil || u.Scheme == "" {
		return "", ""
	}
	return u.Scheme, u.Hostname()
}

// inContainer reports whether this process seems to run in a container:
// Docker and Podman leave a marker file at the root.
func inContainer() bool {
	for _, f := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	return false
}

// onNetwork reports whether one of this host's interfaces lies in the
// network of ip/prefix (the docker0 bridge on a Linux host, eth0 in a
// sibling container).
func onNetwork(ip string, prefix int) bool {
	cip := net.ParseIP(ip)
	if cip == nil || prefix <= 0 {
		return false
	}
	bits := 32
	if cip.To4() == nil {
		bits = 128
	}
	subnet := &net.IPNet{IP: cip.Mask(net.CIDRMask(prefix, bits)), Mask: net.CIDRMask(prefix, bits)}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && subnet.Contains(n.IP) && !n.IP.Equal(cip) {
			return true
		}
	}
	return false
}

// Attempt is what one try of one candidate saw.
type Attempt struct {
	Candidate Candidate
	// Connected: a TCP connection was made (something answers there,
	// even if it is not yet the container's program).
	Connected bool
	// Seen is the last thing seen there: "connection refused", "i/o
	// timeout", "answered 503", ...
	Seen string
}

// ErrUnreachable is wrapped when no candidate address could be connected
// to while the container ran: the host's networking, not the image, is at
// fault, and the check reports an environment error, not a learner
// failure.
var ErrUnreachable = errors.New("cannot reach the container's published port from here")

// UnreachableError names every address tried and what each gave.
type UnreachableError struct {
	Port     string
	Attempts []Attempt
}

func (e *UnreachableError) Error() string {
	parts := make([]string, len(e.Attempts))
	for i, a := range e.Attempts {
		parts[i] = fmt.Sprintf("%s: %s", a.Candidate, a.Seen)
	}
	return fmt.Sprintf("%v (container port %s; tried %s); if the engine's published ports are reachable at another address, set %s or --container-host",
		ErrUnreachable, e.Port, strings.Join(parts, "; "), EnvContainerHost)
}

func (e *UnreachableError) Unwrap() error { return ErrUnreachable }

// readyFunc asks the program at addr whether it is ready; seen describes
// the answer when it is not.
type readyFunc func(ctx context.Context, addr string) (ready bool, seen string)

// await tries every candidate in turn, every poll, until one is ready, the
// container stops (alive returns an error), or ctx ends. A candidate that
// accepted a TCP connection shows the path works, so a container that then
// never gets ready is the image's fault (ErrNotReady); when no candidate
// ever connected the path is the host's fault (*UnreachableError).
//
// This polls rather than waits for an event: the Docker engine has no
// event for "this port now answers".
func await(ctx context.Context, cands []Candidate, port string, poll time.Duration, alive func(context.Context) error, ready readyFunc) (Candidate, error) {
	attempts := make([]Attempt, len(cands))
	for i, c := range cands {
		attempts[i].Candidate = c
	}
	// The dialer and the HTTP client fail at ctx's deadline on their own
	// clocks, a moment before ctx.Err() says so: what they saw then is the
	// deadline, not the container.
	expired := func() bool {
		d, ok := ctx.Deadline()
		return ctx.Err() != nil || (ok && !time.Now().Before(d))
	}
	for {
		for i := range attempts {
			a := &attempts[i]
			dctx, cancel := context.WithTimeout(ctx, time.Second)
			conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", a.Candidate.Addr)
			cancel()
			if err != nil {
				if expired() {
					break
				}
				a.Seen = dialError(err)
				continue
			}
			conn.Close()
			a.Connected = true
			ok, seen := ready(ctx, a.Candidate.Addr)
			if ok {
				return a.Candidate, nil
			}
			if expired() {
				break // what was seen is the deadline, not the container
			}
			a.Seen = seen
		}
		if ctx.Err() == nil {
			if err := alive(ctx); err != nil {
				return Candidate{}, fmt.Errorf("%w: %v", ErrNotReady, err)
			}
		}
		select {
		case <-ctx.Done():
			for _, a := range attempts {
				if a.Connected {
					return Candidate{}, fmt.Errorf("%w: at %s: %s", ErrNotReady, a.Candidate.Addr, cmp.Or(a.Seen, "no answer before the deadline"))
				}
			}
			return Candidate{}, &UnreachableError{Port: port, Attempts: attempts}
		case <-time.After(poll):
		}
	}
}

// dialError shortens a dial error to its cause.
func dialError(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
