package main

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"
)

// TestQuietClientLogs: client-go's unhandled-error lines (what a closed
// exec stream logs) do not reach stderr, unless --client-logs asks.
func TestQuietClientLogs(t *testing.T) {
	stderr := func(f func()) string {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		saved := os.Stderr
		os.Stderr = w
		klog.SetOutput(w) // klog took os.Stderr when it started
		f()
		klog.Flush()
		os.Stderr = saved
		klog.SetOutput(saved)
		require.NoError(t, w.Close())
		out, err := io.ReadAll(r)
		require.NoError(t, err)
		return string(out)
	}
	t.Cleanup(klog.ClearLogger)
	loud := stderr(func() {
		quietClientLogs(true)
		utilruntime.HandleError(errors.New("copying stdout failed"))
	})
	assert.Contains(t, loud, "copying stdout failed", "kept with --client-logs")
	quiet := stderr(func() {
		quietClientLogs(false)
		utilruntime.HandleError(errors.New("copying stdout failed"))
	})
	assert.Empty(t, quiet)
}
