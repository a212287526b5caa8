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

// Watch grades once, then again each time a file under o.Submission
// changes (debounced), until ctx ends. first receives the first result;
// changed receives each later result with the one before it. Removing a
// file does not delete its objects from the cluster.
func Watch(ctx context.Context, o Options, first func(*result.Result), changed func(prev, cur *result.Result)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", o.Submission, err)
	}
	defer w.Close()
	if err := addTree(w, o.Submission); err != nil {
		return err
	}
	prev := Run(ctx, o)
	first(prev)
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			return fmt.Errorf("watching %s: %w", o.Submission, err)
		case ev := <-w.Events:
			if ev.Has(fsnotify.Create) {
				_ = addTree(w, ev.Name) // a new subdirectory is watched too
			}
			fire = time.After(Debounce)
		case <-fire:
			fire = nil
			cur := Run(ctx, o)
			if ctx.Err() != nil {
				return nil
			}
			changed(prev, cur)
			prev = cur
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
