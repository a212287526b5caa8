package drift

import (
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference is testdata/reference.json.gz, written by
// hack/drift-reference/make_vectors.py with scipy 1.10.
type reference struct {
	Scipy string `json:"scipy"`
	Kstwo []struct {
		N  int     `json:"n"`
		X  float64 `json:"x"`
		SF float64 `json:"sf"`
	} `json:"kstwo"`
	Exact []struct {
		N1, N2   int
		D        float64 `json:"d"`
		OK       bool    `json:"ok"`
		DSnapped float64 `json:"dSnapped"`
		P        float64 `json:"p"`
	} `json:"exact"`
	Categorical []struct {
		Name string   `json:"name"`
		A    []string `json:"a"`
		B    []string `json:"b"`
		Chi2 float64  `json:"chi2"`
		P    float64  `json:"p"`
	} `json:"categorical"`
}

type numericCase struct {
	Name        string    `json:"name"`
	A           []float64 `json:"a"`
	B           []float64 `json:"b"`
	Bins        int       `json:"bins"`
	KSD         float64   `json:"ksD"`
	KSP         float64   `json:"ksP"`
	PSI         float64   `json:"psi"`
	JS          float64   `json:"js"`
	Wasserstein float64   `json:"wasserstein"`
}

func loadReference(t testing.TB) (*reference, []numericCase) {
	f, err := os.Open("testdata/reference.json.gz")
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	var raw struct {
		reference
		Numeric []numericCase `json:"numeric"`
	}
	// the numeric cases sit beside the others in the file
	require.NoError(t, json.NewDecoder(zr).Decode(&raw))
	return &raw.reference, raw.Numeric
}

// Statistics agree to 1e-9 relative, p-values to 1e-6 absolute.
func relClose(t *testing.T, want, got float64, msg string) {
	t.Helper()
	if want == 0 {
		assert.InDelta(t, 0, got, 1e-12, msg)
		return
	}
	assert.InEpsilon(t, want, got, 1e-9, msg)
}

func TestAgainstScipy(t *testing.T) {
	ref, numeric := loadReference(t)
	require.Contains(t, ref.Scipy, "1.10")
	require.Len(t, numeric, 15, "every numeric case of make_vectors.py")
	for _, c := range numeric {
		t.Run(c.Name, func(t *testing.T) {
			d, p, err := KS(c.A, c.B)
			require.NoError(t, err)
			relClose(t, c.KSD, d, "ks D")
			assert.InDelta(t, c.KSP, p, 1e-6, "ks p-value (D=%g)", d)
			psi, err := PSI(c.A, c.B, c.Bins)
			require.NoError(t, err)
			relClose(t, c.PSI, psi, "psi")
			js, err := JensenShannon(c.A, c.B, c.Bins)
			require.NoError(t, err)
			relClose(t, c.JS, js, "jensenshannon")
			w, err := Wasserstein(c.A, c.B)
			require.NoError(t, err)
			relClose(t, c.Wasserstein, w, "wasserstein")
		})
	}
}

func TestKolmogorovDistribution(t *testing.T) {
	ref, _ := loadReference(t)
	require.Len(t, ref.Kstwo, 16*17)
	for _, c := range ref.Kstwo {
		got := kolmogornSF(c.N, c.X)
		assert.InDelta(t, c.SF, got, 1e-6, "kstwo.sf(%g, %d)", c.X, c.N)
	}
}

func TestExactTwoSample(t *testing.T) {
	ref, _ := loadReference(t)
	require.Len(t, ref.Exact, 9*7)
	for _, c := range ref.Exact {
		dd, p, ok := ksExact(c.N1, c.N2, c.D)
		assert.Equal(t, c.OK, ok, "n1=%d n2=%d d=%g", c.N1, c.N2, c.D)
		if c.OK {
			assert.Equal(t, c.DSnapped, dd)
			assert.InDelta(t, c.P, p, 1e-6, "n1=%d n2=%d d=%g", c.N1, c.N2, c.D)
		}
	}
}

func TestChi2AgainstScipy(t *testing.T) {
	ref, _ := loadReference(t)
	require.Len(t, ref.Categorical, 4)
	for _, c := range ref.Categorical {
		stat, p, err := Chi2(c.A, c.B)
		require.NoError(t, err)
		relClose(t, c.Chi2, stat, c.Name+" chi2")
		assert.InDelta(t, c.P, p, 1e-6, c.Name+" p")
	}
}

func TestBadInput(t *testing.T) {
	_, _, err := KS(nil, []float64{1})
	assert.Error(t, err)
	_, _, err = KS([]float64{math.NaN()}, []float64{1})
	assert.Error(t, err)
	_, err = PSI([]float64{1, 2}, []float64{1}, 1)
	assert.Error(t, err)
	_, _, err = Chi2(nil, []string{"a"})
	assert.Error(t, err)
	stat, p, err := Chi2([]string{"a", "a"}, []string{"a"})
	require.NoError(t, err)
	assert.Equal(t, 0.0, stat)
	assert.Equal(t, 1.0, p)
}
