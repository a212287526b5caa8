package cluster

import (
	"fmt"
	"sync/atomic"
)

// DefaultQPS is the client-side rate of requests to the API server, per
// set of clients, unless SetQPS chose another.
const DefaultQPS = 50

// qps is the rate new clients get (as bits of a float32, for atomic use).
var qps atomic.Value

// SetQPS sets the client-side request rate of every client made from now
// on (burst twice that); 0 restores the default. A class graded on a
// shared cluster runs many gradings at once, each with its own watches:
// the rate bounds what one labgrade asks of an API server others use.
func SetQPS(q float32) error {
	if q < 0 {
		return fmt.Errorf("--api-qps must not be negative, not %g", q)
	}
	qps.Store(q)
	return nil
}

// rateLimit is the QPS and burst for new clients.
func rateLimit() (float32, int) {
	q, _ := qps.Load().(float32)
	if q == 0 {
		q = DefaultQPS
	}
	return q, max(1, int(2*q))
}
