package cluster

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRateLimit(t *testing.T) {
	t.Cleanup(func() { _ = SetQPS(0) })
	q, b := rateLimit()
	assert.Equal(t, float32(DefaultQPS), q)
	assert.Equal(t, 2*DefaultQPS, b)
	assert.NoError(t, SetQPS(5))
	q, b = rateLimit()
	assert.Equal(t, float32(5), q)
	assert.Equal(t, 10, b)
	assert.NoError(t, SetQPS(0.2))
	_, b = rateLimit()
	assert.Equal(t, 1, b, "a burst of at least one request")
	assert.Error(t, SetQPS(-1))
}
