package drift

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// selectOrderStats must put exactly the sorted values at the asked indices,
// with or without ties, for any size.
func TestSelectOrderStats(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 300; trial++ {
		n := 1 + r.IntN(3000)
		a := make([]float64, n)
		distinct := 1 + r.IntN(n+1)
		for i := range a {
			a[i] = float64(r.IntN(distinct)) // many ties when distinct is small
		}
		want := slices.Clone(a)
		slices.Sort(want)
		var ks []int
		for i := 0; i < 1+r.IntN(20); i++ {
			ks = append(ks, r.IntN(n))
		}
		slices.Sort(ks)
		ks = slices.Compact(ks)
		selectOrderStats(a, ks)
		for _, k := range ks {
			require.Equal(t, want[k], a[k], "trial %d n=%d k=%d", trial, n, k)
		}
	}
}
