package batch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSchedule(t *testing.T) {
	var mu sync.Mutex
	running, peak, ran := 0, 0, 0
	started := Schedule(context.Background(), 3, 10, func(int) {
		mu.Lock()
		running++
		peak = max(peak, running)
		ran++
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
	})
	assert.Equal(t, 10, started)
	assert.Equal(t, 10, ran)
	assert.Equal(t, 3, peak, "at most parallel at once, and that many")

	// Ctrl-C while the first two run: nothing more starts, both are
	// waited for
	ctx, cancel := context.WithCancel(context.Background())
	var order []int
	started = Schedule(ctx, 2, 5, func(i int) {
		mu.Lock()
		order = append(order, i)
		mu.Unlock()
		cancel()
		time.Sleep(10 * time.Millisecond)
	})
	assert.Equal(t, 2, started)
	assert.ElementsMatch(t, []int{0, 1}, order)
}
