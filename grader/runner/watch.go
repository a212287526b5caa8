package runner

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/labgrade/labgrade/grader/result"
)

// Debounce is how long Watch waits after the last change before grading:
// an editor's save is often several writes.
const Debounce = 500 * time.Millisecond

// WatchOptions say what a watch grades besides each save.
type WatchOptions struct {
	// Requests receives a value each time the learner asks for a full
	// grade (Enter); nil never does.
	Requests <-chan struct{}
	// Full is what a request grades. Each save grades o.Select, typically
	// the quick checks: seconds instead of a minute of traffic phases.
	Full Selection
}

// Watch grades g in the session once, then again each time a file under
// g.Submission changes (debounced), and with w.Full at each request, until
// ctx ends. graded receives each result: requested tells a request's from
// a save's, and prev is the save's result before (nil the first time).
// Removing a file does not delete its objects from the cluster.
func Watch(ctx context.Context, s *Session, g Grading, w WatchOptions, graded func(prev, cur *result.Result, requested bool)) error {
	return watch(ctx, g.Submission, w.Requests, func(requested bool) *result.Result {
		this := g
		if requested {
			this.Select = w.Full
		}
		return s.Grade(ctx, this)
	}, graded)
}

// watch is Watch's loop, apart from the cluster: grade grades once.
func watch(ctx context.Context, dir string, requests <-chan struct{}, grade func(requested bool) *result.Result,
	graded func(prev, cur *result.Result, requested bool)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	defer w.Close()
	if err := addTree(w, dir); err != nil {
		return err
	}
	var prev *result.Result // the last save's result
	gradeOnce := func(requested bool) bool {
		cur := grade(requested)
		if ctx.Err() != nil {
			return false
		}
		graded(prev, cur, requested)
		if !requested {
			prev = cur
		}
		return true
	}
	if !gradeOnce(false) {
		return nil
	}
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			return fmt.Errorf("watching %s: %w", dir, err)
		case ev := <-w.Events:
			if ev.Has(fsnotify.Create) {
				_ = addTree(w, ev.Name) // a new subdirectory is watched too
			}
			fire = time.After(Debounce)
		case <-fire:
			fire = nil
			if !gradeOnce(false) {
				return nil
			}
		case <-requests:
			if !gradeOnce(true) {
				return nil
			}
		}
	}
}

// addTree watches a directory and its subdirectories (fsnotify watches one
// directory at a time).
func addTree(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return w.Add(path)
		}
		return nil
	})
}
