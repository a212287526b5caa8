package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/labgrade/labgrade/grader/apply"
)

// transient says whether an environment error is worth another attempt:
// the connection dropped or was refused, a timeout, an API server that is
// not ready or overloaded. Everything else (a bad node image, a lab that
// does not build) fails at once.
func transient(err error) bool {
	var ne net.Error
	switch {
	case err == nil:
		return false
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return apply.IsTransient(err)
}

// retry runs fn up to attempts times while it fails transiently, with
// exponential backoff, saying so on the progress output. The last error
// names the step, the number of attempts and what to do.
func (s *Session) retry(ctx context.Context, what string, attempts int, retryable func(error) bool, advice string, fn func() error) error {
	backoff := wait.Backoff{Duration: 2 * time.Second, Factor: 2, Jitter: 0.1, Steps: attempts}
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || ctx.Err() != nil || !retryable(err) {
			return err
		}
		if attempt >= attempts {
			return fmt.Errorf("%s failed %d times, the last with: %w; %s", what, attempts, err, advice)
		}
		d := backoff.Step()
		s.progress("%s: transient failure (%v); retrying in %.0fs (attempt %d of %d)", what, err, d.Seconds(), attempt+1, attempts)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
	}
}
