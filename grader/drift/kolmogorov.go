package drift

import (
	"math"
)

// Constants of the Simard-L'Ecuyer evaluation, as scipy 1.10 uses them.
const (
	e128     = 128
	ep128    = 3.4028236692093846346e+38 // 2^128
	em128    = 2.93873587705571877e-39   // 2^-128
	sqrt2Pi  = 2.5066282746310002
	log2Pi   = 1.8378770664093453
	minLog   = -708
	piSq     = math.Pi * math.Pi
	piFourth = piSq * piSq
	piSixth  = piFourth * piSq
)

// kolmogornSF is Pr(D_n > x) for the two-sided one-sample Kolmogorov
// statistic with n points, choosing among exact formulas and
// approximations the way Simard & L'Ecuyer (2011) recommend and scipy's
// kstwo.sf does.
func kolmogornSF(n int, x float64) float64 {
	if n <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	nf := float64(n)
	t := nf * x
	if t <= 1 { // Ruben-Gambino
		if t <= 0.5 {
			return 1
		}
		var cdf float64
		if n <= 140 {
			cdf = 1
			for i := 1; i <= n; i++ {
				cdf *= float64(i) / nf * (2*t - 1)
			}
		} else {
			cdf = math.Exp(logFactorialOverPower(n) + nf*math.Log(2*t-1))
		}
		return clip01(1 - cdf)
	}
	if t >= nf-1 { // Ruben-Gambino
		return clip01(2 * math.Pow(1-x, nf))
	}
	if x >= 0.5 {
		return clip01(2 * smirnov(n, x))
	}
	nx2 := t * x
	if n <= 140 {
		switch {
		case nx2 <= 0.754693:
			return clip01(1 - durbinMatrixCDF(n, x))
		case nx2 <= 4:
			return clip01(1 - pomeranzCDF(n, x))
		}
		return clip01(2 * smirnov(n, x))
	}
	if nx2 >= 370 {
		return 0
	}
	if nx2 >= 2.2 {
		return clip01(2 * smirnov(n, x))
	}
	var cdf float64
	switch {
	case nx2 >= 18:
		cdf = 1
	case n <= 100000 && nf*math.Pow(x, 1.5) <= 1.4:
		cdf = durbinMatrixCDF(n, x)
	default:
		cdf = pelzGood(n, x, true)
	}
	return clip01(1 - cdf)
}

// logFactorialOverPower is log(n! / n^n) by Stirling's series with the
// n*log(n) terms cancelled analytically.
func logFactorialOverPower(n int) float64 {
	coeffs := []float64{-0.029550653594771242, 0.00641025641025641, -0.0019175269175269176,
		0.0008417508417508417, -0.0005952380952380953, 0.0007936507936507937,
		-0.002777777777777778, 0.08333333333333333}
	rn := 1 / float64(n)
	poly := 0.0
	for _, c := range coeffs { // Horner, in (1/n)^2
		poly = poly*(rn*rn) + c
	}
	return math.Log(float64(n))/2 - float64(n) + log2Pi/2 + rn*poly
}

// smirnov is the one-sided Smirnov survival function Pr(D_n+ >= x), by the
// Birnbaum-Tingey sum, each term in logarithms so that large n neither
// overflows the binomial nor underflows the powers.
func smirnov(n int, x float64) float64 {
	if x <= 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	nf := float64(n)
	last := int(math.Floor(nf * (1 - x)))
	lgN1, _ := math.Lgamma(nf + 1)
	sum := 0.0
	for v := 0; v <= last; v++ {
		ev := x + float64(v)/nf
		om := 1 - ev
		if om <= 0 {
			continue
		}
		lv1, _ := math.Lgamma(float64(v) + 1)
		lnv1, _ := math.Lgamma(nf - float64(v) + 1)
		lt := lgN1 - lv1 - lnv1 + float64(v-1)*math.Log(ev) + (nf-float64(v))*math.Log(om)
		if lt > -745 {
			sum += math.Exp(lt)
		}
	}
	return clip01(x * sum)
}

// durbinMatrixCDF is Pr(D_n <= d) by Durbin's matrix method in the
// Marsaglia-Tsang-Wang form: the (k,k) entry of H^n times n!/n^n, with H
// and its powers rescaled by 2^128 to stay in range.
func durbinMatrixCDF(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] = (1 - math.Pow(h, float64(j))) * fac
	}
	v[m-1] = (1 + math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))) * fac
	H := newMatrix(m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r*m+i] = w[r-i+1]
		}
	}
	for r := 0; r < m; r++ {
		H[r*m] = v[r]
	}
	for c := 0; c < m; c++ {
		H[(m-1)*m+c] = v[m-1-c]
	}
	P := identity(m)
	pExp, hExp := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			P = matMul(P, H, m)
			pExp += hExp
		}
		H = matMul(H, H, m)
		hExp *= 2
		if math.Abs(H[(k-1)*m+k-1]) > ep128 {
			for i := range H {
				H[i] /= ep128
			}
			hExp += e128
		}
	}
	p := P[(k-1)*m+k-1]
	for i := 1; i <= n; i++ {
		p = float64(i) * p / float64(n)
		if math.Abs(p) < em128 {
			p *= ep128
			pExp -= e128
		}
	}
	return clip01(math.Ldexp(p, pExp))
}

func newMatrix(m int) []float64 { return make([]float64, m*m) }

func identity(m int) []float64 {
	a := newMatrix(m)
	for i := 0; i < m; i++ {
		a[i*m+i] = 1
	}
	return a
}

func matMul(a, b []float64, m int) []float64 {
	out := newMatrix(m)
	for i := 0; i < m; i++ {
		for k := 0; k < m; k++ {
			aik := a[i*m+k]
			if aik == 0 {
				continue
			}
			for j := 0; j < m; j++ {
				out[i*m+j] += aik * b[k*m+j]
			}
		}
	}
	return out
}

// pomeranzCDF is Pr(D_n <= x) by Pomeranz's recursion (1974): 2n+1 rows,
// each a convolution of the previous one with powers (g/n)^m/m!, with a
// 2^128 rescaling to stay in range.
func pomeranzCDF(n int, x float64) float64 {
	t := float64(n) * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := math.Min(f, 1-f)
	ceilF, roundF := 0, 0
	if f > 0 {
		ceilF = 1
	}
	if f > 0.5 {
		roundF = 1
	}
	np := 2 * (ll + 1)
	gp, g2p, g12p := make([]float64, np), make([]float64, np), make([]float64, np)
	gp[0], g2p[0], g12p[0] = 1, 1, 1
	nf := float64(n)
	for m := 1; m < np; m++ {
		gp[m] = gp[m-1] * (g / nf) / float64(m)
		g2p[m] = g2p[m-1] * (2 * g / nf) / float64(m)
		g12p[m] = g12p[m-1] * ((1 - 2*g) / nf) / float64(m)
	}
	bounds := func(i int) (int, int) {
		var j1, j2 int
		if i == 0 {
			j1, j2 = -ll-ceilF-1, ll+ceilF-1
		} else {
			half, odd := (i+1)/2, (i+1)%2 == 0
			switch {
			case odd && half == n+1:
				j1, j2 = n-ll-ceilF-1, n+ll+ceilF-1
			case odd:
				j1, j2 = half-1-ll-roundF-1, half+ll-1+ceilF-1
			default:
				j1, j2 = half-1-ll-1, half+ll+roundF-1
			}
		}
		return max(j1+2, 0), min(j2, n)
	}
	v0, v1 := make([]float64, np), make([]float64, np)
	v1[0] = 1
	v0s, v1s := 0, 0
	expnt := 0
	j1, j2 := bounds(0)
	for i := 1; i <= 2*n+1; i++ {
		k1 := j1
		v0, v1 = v1, v0
		v0s, v1s = v1s, v0s
		for q := range v1 {
			v1[q] = 0
		}
		j1, j2 = bounds(i)
		pw := g12p
		switch {
		case i == 1 || i == 2*n+1:
			pw = gp
		case i%2 == 1:
			pw = g2p
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		// conv = convolve(v0[k1-v0s : k1-v0s+ln2], pw[:ln2]); keep
		// entries j1-k1 ... j2-k1.
		src := v0[k1-v0s : k1-v0s+ln2]
		start, count := j1-k1, j2-j1+1
		maxV := 0.0
		for q := 0; q < count; q++ {
			idx := start + q
			s := 0.0
			for r := max(0, idx-ln2+1); r <= min(idx, ln2-1); r++ {
				s += src[r] * pw[idx-r]
			}
			v1[q] = s
			maxV = math.Max(maxV, s)
		}
		if maxV > 0 && maxV < em128 {
			for q := range v1 {
				v1[q] *= ep128
			}
			expnt -= e128
		}
		v1s = v0s + j1 - k1
	}
	ans := v1[n-v1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ep128 {
			ans *= em128
			expnt += e128
		}
		ans *= float64(m)
	}
	return clip01(math.Ldexp(ans, expnt))
}

// pelzGood is the Pelz-Good (1976) expansion of Pr(D_n <= x) in powers of
// 1/sqrt(n) with theta-function forms of its terms; cdf=false gives the
// survival function without cancellation.
func pelzGood(n int, x float64, cdf bool) float64 {
	if x <= 0 {
		return b2f(!cdf)
	}
	if x >= 1 {
		return b2f(cdf)
	}
	z := math.Sqrt(float64(n)) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)
	qlog := -piSq / 8 / z2
	if qlog < minLog {
		return b2f(!cdf)
	}
	q := math.Exp(qlog)
	k1a, k1b := -z2, piSq/4
	k2a, k2b, k2c := 6*z6+2*z4, (2*z4-5*z2)*piSq/4, piFourth*(1-2*z2)/16
	k3d := piSixth * (5 - 30*z2) / 64
	k3c := piFourth * (-60*z2 + 212*z4) / 16
	k3b := piSq * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)
	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2, m4, m6 := m*m, m*m*m*m, math.Pow(m, 6)
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{1, k1a + k1b*m2, k2a + k2b*m2 + k2c*m4, k3a + k3b*m2 + k3c*m4 + k3d*m6}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2Pi / div[i]
	}
	q = math.Exp(-piSq / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var e2, e3 float64
	for k := maxk; k > 0; k-- {
		kf := float64(k)
		qk := math.Pow(q, kf*kf)
		e2 += kf * kf * qk
		e3 += (sqrt3z + math.Pi*kf) * (sqrt3z - math.Pi*kf) * kf * kf * qk
	}
	K[2] += e2 * piSq * sqrt2Pi / (-36 * z3)
	K[3] += e3 * piSq * sqrt2Pi / (216 * z6)
	sum := 0.0
	for i := range K {
		K[i] /= math.Pow(float64(n), float64(i)/2)
	}
	if !cdf {
		for i := range K {
			K[i] = -K[i]
		}
		K[0]++
	}
	for _, k := range K {
		sum += k
	}
	return sum
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
