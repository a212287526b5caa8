package apply

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/labgrade/labgrade/grader/spec"
)

// fuzzLimits are small, so that the fuzzer reaches every limit with small
// inputs; the time limit is the default's.
var fuzzLimits = spec.SubmissionLimits{
	FileBytes: 64 << 10, TotalBytes: 128 << 10, Files: 4, Documents: 8,
	Keys: 64, Depth: 16, Aliases: 256,
}

// FuzzRead writes the input as a manifest file and reads it. Read must never
// panic (nor fall back on its own recover: that is a bug caught), never take
// long, and every problem must be one clean line. When Read takes the input
// as it is, yaml.v3's own decoder must read the same objects.
//
// The seed corpus is testdata/fuzz/FuzzRead: the hostile inputs of the unit
// tests, made small, and the labs' manifests.
func FuzzRead(f *testing.F) {
	f.Add([]byte(configMap))
	f.Add([]byte(billionLaughs))
	dir := f.TempDir()
	file := filepath.Join(dir, "f.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		type result struct {
			objs []Object
			err  error
		}
		ch := make(chan result, 1)
		go func() {
			objs, err := ReadLimited(context.Background(), dir, fuzzLimits)
			ch <- result{objs, err}
		}()
		var res result
		select {
		case res = <-ch:
		case <-time.After(20 * time.Second):
			t.Fatalf("reading %d bytes took more than 20s", len(data))
		}
		if res.err != nil {
			for _, p := range strings.Split(res.err.Error(), "\n") {
				assertClean(t, p)
				if !strings.HasPrefix(p, file+":") && !strings.HasPrefix(p, file+": ") {
					t.Errorf("a problem that does not name the file: %q", p)
				}
				if strings.Contains(p, "the YAML parser failed") || strings.Contains(p, "could not be read (") {
					t.Errorf("a panic caught: %s", p)
				}
			}
			return
		}
		want, err := yamlV3Objects(data)
		if err != nil && strings.Contains(err.Error(), "excessive aliasing") {
			return // yaml.v3's ratio guard; Read's budget is in absolute values
		}
		if assert.NoError(t, err, "Read takes what yaml.v3 refuses") {
			assert.Equal(t, want, jsonOf(t, res.objs), "Read and yaml.v3 differ")
		}
	})
}
