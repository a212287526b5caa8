package batch

import (
	"context"
	"sync"
)

// Schedule is the queue's scheduler, shared with lab test: it calls
// work(i) for i = 0..n-1 in order, each in a goroutine of its own, at most
// parallel at once (a slot is taken before a work starts and given back
// when it returns). Once ctx ends it starts no more, and it returns when
// every work it started has returned, with how many it started: the
// others never ran. A work that must not hold its slot for ever bounds
// itself (the queue's attempt does, with the deadline and the grace).
func Schedule(ctx context.Context, parallel, n int, work func(i int)) (started int) {
	slots := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil { // both may be ready: Ctrl-C wins
			break
		}
		started++
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			work(i)
		}()
	}
	wg.Wait()
	return started
}
