package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/result"
)

// The learner's loop without a cluster: the first grade and each save
// grade the save's selection, each request (Enter) the full one, and a
// save's result is compared with the save's before, not with a request's.
func TestWatchSavesAndRequests(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	requests := make(chan struct{}, 1)
	type call struct {
		prev, cur *result.Result
		requested bool
	}
	calls := make(chan call, 10)
	n := 0
	grade := func(requested bool) *result.Result {
		n++
		what := "save"
		if requested {
			what = "full"
		}
		return &result.Result{Lab: "demo", Score: n, Title: what}
	}
	done := make(chan error, 1)
	go func() {
		done <- watch(ctx, dir, requests, grade, func(prev, cur *result.Result, requested bool) {
			calls <- call{prev, cur, requested}
		})
	}()
	next := func(what string) call {
		t.Helper()
		select {
		case c := <-calls:
			return c
		case <-time.After(20 * time.Second):
			require.FailNow(t, "no grade after "+what)
		}
		return call{}
	}

	first := next("start")
	assert.False(t, first.requested)
	assert.Nil(t, first.prev)
	assert.Equal(t, "save", first.cur.Title, "the first grade is a save's")

	// watch has added dir before grading the first time, so this write is seen
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("a: 1\n"), 0o644))
	save := next("a save")
	assert.False(t, save.requested)
	assert.Equal(t, "save", save.cur.Title)
	assert.Same(t, first.cur, save.prev)

	requests <- struct{}{}
	req := next("a request")
	assert.True(t, req.requested)
	assert.Equal(t, "full", req.cur.Title, "a request grades the full selection")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("a: 2\n"), 0o644))
	save2 := next("another save")
	assert.False(t, save2.requested)
	assert.Same(t, save.cur, save2.prev, "a save is compared with the save before, not the request")

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err, "Ctrl-C ends the watch cleanly")
	case <-time.After(20 * time.Second):
		require.FailNow(t, "watch did not end with its context")
	}
}

func TestWatchMissingDir(t *testing.T) {
	err := watch(context.Background(), filepath.Join(t.TempDir(), "nope"), nil,
		func(bool) *result.Result { return &result.Result{} }, func(_, _ *result.Result, _ bool) {})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nope")
}
