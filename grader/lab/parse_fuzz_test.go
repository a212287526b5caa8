package lab

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode"
)

// FuzzParseLab parses the input as a lab file. Parse must never panic, never
// take long, and return either a lab or an *Error whose every problem is
// one line free of control characters (a lab file's problems are printed
// as they are).
//
// The seed corpus is testdata/fuzz/FuzzParseLab: the labs' lab.yaml, the
// loader tests' lab and variants of them.
func FuzzParseLab(f *testing.F) {
	f.Add([]byte(goodLab))
	dir := filepath.Join(f.TempDir(), "demo")
	if err := os.MkdirAll(filepath.Join(dir, "scenario"), 0o755); err != nil {
		f.Fatal(err)
	}
	file := filepath.Join(dir, FileName)
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			l   *Lab
			err error
		}
		ch := make(chan result, 1)
		go func() {
			l, err := Parse(file, dir, data)
			ch <- result{l, err}
		}()
		var res result
		select {
		case res = <-ch:
		case <-time.After(20 * time.Second):
			t.Fatalf("parsing %d bytes took more than 20s", len(data))
		}
		if res.err == nil {
			if res.l == nil {
				t.Fatal("no lab and no error")
			}
			return
		}
		var le *Error
		if !errors.As(res.err, &le) {
			t.Fatalf("an error that is not an *Error: %v", res.err)
		}
		if len(le.Problems) == 0 {
			t.Fatal("an *Error without problems")
		}
		for _, p := range le.Problems {
			for _, r := range p.String() {
				if unicode.IsControl(r) || r == 0x2028 || r == 0x2029 {
					t.Fatalf("a problem holds the control character %U: %q", r, p.String())
				}
			}
		}
	})
}
