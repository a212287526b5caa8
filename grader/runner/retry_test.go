package runner

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestTransient(t *testing.T) {
	assert.True(t, transient(fmt.Errorf("dial: %w", syscall.ECONNREFUSED)))
	assert.True(t, transient(fmt.Errorf("read: %w", syscall.ECONNRESET)))
	assert.True(t, transient(apierrors.NewServiceUnavailable("starting")))
	assert.True(t, transient(apierrors.NewTooManyRequests("slow down", 1)))
	assert.False(t, transient(apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "x")))
	assert.False(t, transient(errors.New("image build failed: syntax error")))
	assert.False(t, transient(nil))
}

func TestRetry(t *testing.T) {
	r := &Session{}
	calls := 0
	flaky := func(failures int) func() error {
		calls = 0
		return func() error {
			calls++
			if calls <= failures {
				return syscall.ECONNRESET
			}
			return nil
		}
	}
	ctx := context.Background()
	require.NoError(t, r.retry(ctx, "step", 3, transient, "advice", flaky(1)))
	assert.Equal(t, 2, calls)

	err := r.retry(ctx, "step", 2, transient, "do this", flaky(5))
	require.Error(t, err)
	assert.Equal(t, 2, calls, "bounded")
	assert.Equal(t, "step failed 2 times, the last with: connection reset by peer; do this", err.Error())

	calls = 0
	err = r.retry(ctx, "step", 3, transient, "advice", func() error { calls++; return errors.New("permanent") })
	assert.EqualError(t, err, "permanent")
	assert.Equal(t, 1, calls, "a permanent failure is not retried")
}
