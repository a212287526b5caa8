package drift

import (
	"errors"
	"math"
	"slices"
)

// exactMaxN is scipy's MAX_AUTO_N: up to this sample size, method "auto"
// computes the exact distribution.
const exactMaxN = 10000

// KS is the two-sided two-sample Kolmogorov-Smirnov test of a and b.
func KS(a, b []float64) (d, p float64, err error) {
	if len(a) == 0 || len(b) == 0 {
		return 0, 0, errors.New("ks: both samples must be non-empty")
	}
	x, y := sortedCopy(a), sortedCopy(b)
	return ksSorted(x, y)
}

func sortedCopy(a []float64) []float64 {
	s := slices.Clone(a)
	slices.Sort(s)
	return s
}

// ksSorted computes the test on sorted samples.
func ksSorted(x, y []float64) (d, p float64, err error) {
	if math.IsNaN(x[len(x)-1]) || math.IsNaN(y[len(y)-1]) || math.IsNaN(x[0]) || math.IsNaN(y[0]) {
		return 0, 0, errors.New("ks: samples must not contain NaN")
	}
	d = ksStatistic(x, y)
	n1, n2 := len(x), len(y)
	if max(n1, n2) <= exactMaxN {
		if dd, pp, ok := ksExact(n1, n2, d); ok {
			return dd, pp, nil
		}
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := m * n / (m + n)
	p = kolmogornSF(int(math.RoundToEven(en)), d)
	return d, clip01(p), nil
}

// ksStatistic is max |F1 - F2| over all sample points, both ECDFs taken
// right-continuous (F(t) = share of values <= t), in one merge pass.
func ksStatistic(x, y []float64) float64 {
	n1, n2 := float64(len(x)), float64(len(y))
	i, j := 0, 0
	d := 0.0
	for i < len(x) && j < len(y) {
		t := min(x[i], y[j])
		for i < len(x) && x[i] == t {
			i++
		}
		for j < len(y) && y[j] == t {
			j++
		}
		d = max(d, math.Abs(float64(i)/n1-float64(j)/n2))
	}
	return d
}

// ksExact is scipy's exact two-sided p-value: D is snapped to the lattice
// of attainable values h/lcm(n1, n2), then the share of lattice paths that
// leave the band |x/n1 - y/n2| < h/lcm is computed. ok is false when the
// computation loses precision (scipy then falls back to the asymptotic
// distribution).
func ksExact(n1, n2 int, d float64) (dd, p float64, ok bool) {
	g := gcd(n1, n2)
	lcm := float64(n1/g) * float64(n2)
	h := int(math.RoundToEven(d * lcm))
	dd = float64(h) / lcm
	if h == 0 {
		return dd, 1, true
	}
	if n1 == n2 {
		p = probOutsideSquare(n1, h)
	} else {
		p = probOutsideBand(n1, n2, g, h)
	}
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || p > 1 {
		return dd, p, false
	}
	return dd, p, true
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// probOutsideSquare is, for equal sample sizes n, the share of paths that
// touch x - y = +-h (the classical reflection formula, summed from the
// outermost term inward so that no large binomial is formed).
func probOutsideSquare(n, h int) float64 {
	total := 0.0
	for k := n / h; k >= 0; k-- {
		term := 1.0
		for j := 0; j < h; j++ {
			term = float64(n-k*h-j) * term / float64(n+k*h+j+1)
		}
		total = term * (1 - total)
	}
	return 2 * total
}

// probOutsideBand is, for sample sizes m and n with gcd g, the share of
// monotone lattice paths from (0,0) to (m,n) that do not stay strictly
// inside |n*x - m*y| < h*g, computed column by column as 1 - (share inside)
// with the recursion of Viehmann (2021), which keeps every value a
// probability and so avoids binomial overflow (Hodges' inside method).
func probOutsideBand(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	ceilDiv := func(a, b int) int { return -floorDiv(-a, b) }
	lo, hi := 0, min(ceilDiv(h, mg), n+1)
	width := hi - lo
	a := make([]float64, min(2*hi+2, n+1))
	for i := range a {
		a[i] = 1
	}
	for j := lo; j < hi; j++ {
		a[j] = 0
	}
	for i := 1; i <= m; i++ {
		prevLo, prevWidth := lo, width
		lo = min(max(floorDiv(ng*i-h, mg)+1, 0), n)
		hi = min(ceilDiv(ng*i+h, mg), n+1)
		if hi <= lo {
			return 1
		}
		val := 1.0
		if lo == 0 {
			val = 0
		}
		for jj := 0; jj < hi-lo; jj++ {
			j := jj + lo
			val = (a[jj+lo-prevLo]*float64(i) + val*float64(j)) / float64(i+j)
			a[jj] = val
		}
		width = hi - lo
		for k := width; k < width+(prevWidth-width) && prevWidth > width; k++ {
			a[k] = 1
		}
	}
	return a[hi-lo-1]
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func clip01(p float64) float64 { return math.Min(1, math.Max(0, p)) }
