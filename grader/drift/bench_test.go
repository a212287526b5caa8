package drift

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// benchData is two samples of 1e6 values: the files a.f64 and b.f64
// (little-endian float64) in $LABGRADE_BENCH_DIR when set, so that
// hack/bench-drift.sh times Go and scipy on the same data; otherwise two
// generated normal samples, the second shifted by 0.01.
var benchData = sync.OnceValues(func() ([]float64, []float64) {
	if dir := os.Getenv("LABGRADE_BENCH_DIR"); dir != "" {
		return readF64(filepath.Join(dir, "a.f64")), readF64(filepath.Join(dir, "b.f64"))
	}
	r := rand.New(rand.NewPCG(1, 2))
	a, b := make([]float64, 1_000_000), make([]float64, 1_000_000)
	for i := range a {
		a[i] = r.NormFloat64()
		b[i] = r.NormFloat64() + 0.01
	}
	return a, b
})

func readF64(path string) []float64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	out := make([]float64, len(raw)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out
}

func BenchmarkKS(b *testing.B) {
	x, y := benchData()
	for b.Loop() {
		if _, _, err := KS(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPSI(b *testing.B) {
	x, y := benchData()
	for b.Loop() {
		if _, err := PSI(x, y, DefaultBins); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJensenShannon(b *testing.B) {
	x, y := benchData()
	for b.Loop() {
		if _, err := JensenShannon(x, y, DefaultBins); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWasserstein(b *testing.B) {
	x, y := benchData()
	for b.Loop() {
		if _, err := Wasserstein(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
