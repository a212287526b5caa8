package drift

import (
	"errors"
	"sort"

	"gonum.org/v1/gonum/mathext"
)

// Chi2 is the chi-square test of homogeneity of two categorical samples:
// a 2 x k contingency table over the categories seen in either sample,
// statistic sum (O-E)^2/E, k-1 degrees of freedom, no Yates' correction.
func Chi2(ref, cur []string) (stat, p float64, err error) {
	if len(ref) == 0 || len(cur) == 0 {
		return 0, 0, errors.New("chi2: both samples must be non-empty")
	}
	rc, cc := counts(ref), counts(cur)
	cats := map[string]bool{}
	for k := range rc {
		cats[k] = true
	}
	for k := range cc {
		cats[k] = true
	}
	keys := make([]string, 0, len(cats))
	for k := range cats {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a fixed summation order
	if len(keys) < 2 {
		return 0, 1, nil // one category: nothing can differ
	}
	nr, nc := float64(len(ref)), float64(len(cur))
	total := nr + nc
	for _, k := range keys {
		col := float64(rc[k] + cc[k])
		for _, cell := range []struct{ obs, rowTotal float64 }{{float64(rc[k]), nr}, {float64(cc[k]), nc}} {
			exp := cell.rowTotal * col / total
			d := cell.obs - exp
			stat += d * d / exp
		}
	}
	dof := float64(len(keys) - 1)
	// The chi-square survival function is the regularised upper incomplete
	// gamma function Q(dof/2, stat/2).
	return stat, mathext.GammaIncRegComp(dof/2, stat/2), nil
}

func counts(xs []string) map[string]int {
	m := map[string]int{}
	for _, x := range xs {
		m[x]++
	}
	return m
}
