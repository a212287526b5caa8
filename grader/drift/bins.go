package drift

import (
	"errors"
	"math"
	"slices"
	"sort"
)

// DefaultBins is the number of bins of psi and jensenshannon.
const DefaultBins = 10

// psiFloor keeps empty bins from making PSI infinite.
const psiFloor = 1e-4

// quantileEdges are the inner bin edges: the reference's quantiles
// 1/N ... (N-1)/N by linear interpolation between order statistics
// (numpy's default method), with repeated edges dropped. It reorders ref.
func quantileEdges(ref []float64, bins int) []float64 {
	n := len(ref)
	type spot struct {
		lo   int
		frac float64
	}
	spots := make([]spot, 0, bins-1)
	var ks []int
	for i := 1; i < bins; i++ {
		pos := float64(i) / float64(bins) * float64(n-1)
		lo := int(math.Floor(pos))
		spots = append(spots, spot{lo, pos - float64(lo)})
		ks = append(ks, lo)
		if lo+1 < n {
			ks = append(ks, lo+1)
		}
	}
	slices.Sort(ks)
	ks = slices.Compact(ks)
	selectOrderStats(ref, ks)
	edges := make([]float64, 0, bins-1)
	for _, s := range spots {
		v := ref[s.lo]
		if s.lo+1 < n {
			a, b := ref[s.lo], ref[s.lo+1]
			// numpy's lerp: a + (b-a)*t, or b - (b-a)*(1-t) for t >= 0.5,
			// which keeps the result exact at both ends.
			if s.frac >= 0.5 {
				v = b - (b-a)*(1-s.frac)
			} else {
				v = a + (b-a)*s.frac
			}
		}
		edges = append(edges, v)
	}
	return slices.Compact(edges)
}

// binShares is the share of values in each bin (-Inf, e0), [e0, e1), ...,
// [e_last, +Inf): a binary search per value over the few edges, so the
// sample need not be sorted.
func binShares(xs, edges []float64) []float64 {
	counts := make([]int, len(edges)+1)
	for _, x := range xs {
		counts[sort.Search(len(edges), func(i int) bool { return edges[i] > x })]++
	}
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = float64(c) / float64(len(xs))
	}
	return out
}

// binnedShares returns reference and current shares on the reference's
// quantile bins.
func binnedShares(ref, cur []float64, bins int) ([]float64, []float64, error) {
	if len(ref) == 0 || len(cur) == 0 {
		return nil, nil, errors.New("both samples must be non-empty")
	}
	if bins < 2 {
		return nil, nil, errors.New("at least 2 bins are needed")
	}
	edges := quantileEdges(slices.Clone(ref), bins)
	return binShares(ref, edges), binShares(cur, edges), nil
}

// PSI is the population stability index of cur against ref.
func PSI(ref, cur []float64, bins int) (float64, error) {
	r, c, err := binnedShares(ref, cur, bins)
	if err != nil {
		return 0, err
	}
	psi := 0.0
	for i := range r {
		ri, ci := math.Max(r[i], psiFloor), math.Max(c[i], psiFloor)
		psi += (ci - ri) * math.Log(ci/ri)
	}
	return psi, nil
}

// JensenShannon is the base-2 Jensen-Shannon distance between the binned
// distributions of ref and cur.
func JensenShannon(ref, cur []float64, bins int) (float64, error) {
	r, c, err := binnedShares(ref, cur, bins)
	if err != nil {
		return 0, err
	}
	return jsDistance(r, c), nil
}

// jsDistance is sqrt((KL(p||m) + KL(q||m)) / 2) in bits, m = (p+q)/2, with
// p and q normalised first and 0*log(0) = 0.
func jsDistance(p, q []float64) float64 {
	sp, sq := 0.0, 0.0
	for i := range p {
		sp += p[i]
		sq += q[i]
	}
	div := 0.0
	for i := range p {
		pi, qi := p[i]/sp, q[i]/sq
		m := (pi + qi) / 2
		if pi > 0 {
			div += pi * math.Log(pi/m)
		}
		if qi > 0 {
			div += qi * math.Log(qi/m)
		}
	}
	return math.Sqrt(math.Max(div/2, 0) / math.Ln2)
}

// Wasserstein is the first Wasserstein distance between the empirical
// distributions of a and b: the area between their ECDFs.
func Wasserstein(a, b []float64) (float64, error) {
	if len(a) == 0 || len(b) == 0 {
		return 0, errors.New("wasserstein: both samples must be non-empty")
	}
	return wassersteinSorted(sortedCopy(a), sortedCopy(b)), nil
}

func wassersteinSorted(x, y []float64) float64 {
	n1, n2 := float64(len(x)), float64(len(y))
	i, j := 0, 0
	total := 0.0
	prev := math.Min(x[0], y[0])
	for i < len(x) || j < len(y) {
		var t float64
		switch {
		case j >= len(y) || (i < len(x) && x[i] <= y[j]):
			t = x[i]
		default:
			t = y[j]
		}
		total += math.Abs(float64(i)/n1-float64(j)/n2) * (t - prev)
		for i < len(x) && x[i] == t {
			i++
		}
		for j < len(y) && y[j] == t {
			j++
		}
		prev = t
	}
	return total
}
