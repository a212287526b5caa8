package drift

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
)

// Test names.
const (
	TestKS            = "ks"
	TestPSI           = "psi"
	TestChi2          = "chi2"
	TestJensenShannon = "jensenshannon"
	TestWasserstein   = "wasserstein"
)

// Tests lists the tests by name.
var Tests = []string{TestKS, TestPSI, TestChi2, TestJensenShannon, TestWasserstein}

// DefaultThreshold is where each test flags drift: a p-value below it for
// ks and chi2, a distance above it for the others. wasserstein is measured
// in standard deviations of the reference, so one threshold fits every
// feature's scale.
var DefaultThreshold = map[string]float64{
	TestKS: 0.05, TestChi2: 0.05, TestPSI: 0.2, TestJensenShannon: 0.1, TestWasserstein: 0.1,
}

// UsesPValue says whether a test flags drift by a p-value (below the
// threshold) rather than a distance (above it).
func UsesPValue(test string) bool { return test == TestKS || test == TestChi2 }

// Options of Compare.
type Options struct {
	// Test for every feature; "" picks ks for numeric and chi2 for
	// categorical features.
	Test string
	// Bins for psi and jensenshannon (default 10).
	Bins int
	// Threshold overrides DefaultThreshold[test] when > 0.
	Threshold float64
}

// Feature is the result for one feature.
type Feature struct {
	Name      string   `json:"name"`
	Test      string   `json:"test"`
	Statistic float64  `json:"statistic"`
	PValue    *float64 `json:"pValue,omitempty"`
	Threshold float64  `json:"threshold"`
	Drift     bool     `json:"drift"`
	Reference int      `json:"referenceSamples"`
	Current   int      `json:"currentSamples"`
}

// Report is the result for every feature of the reference, in its order.
type Report struct {
	Features []Feature `json:"features"`
}

// Compare tests every feature of ref against the same column of cur.
func Compare(ref, cur *Table, o Options) (*Report, error) {
	if o.Bins == 0 {
		o.Bins = DefaultBins
	}
	if o.Test != "" && !slices.Contains(Tests, o.Test) {
		return nil, fmt.Errorf("unknown test %q (one of %v)", o.Test, Tests)
	}
	var missing []string
	for _, rc := range ref.Columns {
		if _, ok := cur.Column(rc.Name); !ok {
			missing = append(missing, rc.Name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%s lacks the reference's feature(s) %v", cur.File, missing)
	}
	rep := &Report{}
	for _, rc := range ref.Columns {
		cc, _ := cur.Column(rc.Name)
		f, err := CompareColumn(rc, cc, o)
		if err != nil {
			return nil, fmt.Errorf("feature %q: %w", rc.Name, err)
		}
		rep.Features = append(rep.Features, f)
	}
	return rep, nil
}

// CompareColumn tests one feature: cur against the reference ref, by
// o.Test (default ks for numbers, chi2 for categories), flagging drift at
// o.Threshold (default DefaultThreshold). The drift monitor and the grader
// both call it, so a monitor's verdict and the grader's recomputation follow
// one definition.
func CompareColumn(rc, cc *Column, o Options) (Feature, error) {
	if o.Bins == 0 {
		o.Bins = DefaultBins
	}
	test := o.Test
	if test == "" {
		test = TestChi2
		if rc.Numeric {
			test = TestKS
		}
	}
	f := Feature{Name: rc.Name, Test: test, Threshold: DefaultThreshold[test]}
	if o.Threshold > 0 {
		f.Threshold = o.Threshold
	}
	if test == TestChi2 {
		ra, ca := rc.Labels, cc.Labels
		if rc.Numeric || cc.Numeric { // numbers used as category codes
			ra, ca = asLabels(rc), asLabels(cc)
		}
		f.Reference, f.Current = len(ra), len(ca)
		stat, p, err := Chi2(ra, ca)
		if err != nil {
			return f, err
		}
		f.Statistic, f.PValue, f.Drift = stat, &p, p < f.Threshold
		return f, nil
	}
	if !rc.Numeric || !cc.Numeric {
		return f, fmt.Errorf("%s needs numbers, but the column is categorical", test)
	}
	f.Reference, f.Current = len(rc.Values), len(cc.Values)
	var err error
	switch test {
	case TestKS:
		var p float64
		f.Statistic, p, err = KS(rc.Values, cc.Values)
		f.PValue, f.Drift = &p, p < f.Threshold
		return f, err
	case TestPSI:
		f.Statistic, err = PSI(rc.Values, cc.Values, o.Bins)
	case TestJensenShannon:
		f.Statistic, err = JensenShannon(rc.Values, cc.Values, o.Bins)
	case TestWasserstein:
		f.Statistic, err = Wasserstein(rc.Values, cc.Values)
		if sd := stddev(rc.Values); err == nil && sd > 0 {
			f.Drift = f.Statistic/sd > f.Threshold
			return f, nil
		}
	}
	f.Drift = f.Statistic > f.Threshold
	return f, err
}

// ColumnOf makes a column of JSON-decoded values (float64 or string, as
// the monitor's /window returns them): numeric when every value is a
// number. Other values (null, bools) are left out, like empty CSV cells.
func ColumnOf(name string, values []any) *Column {
	c := &Column{Name: name, Numeric: true}
	for _, v := range values {
		switch x := v.(type) {
		case float64:
			c.Values = append(c.Values, x)
			c.Labels = append(c.Labels, strconv.FormatFloat(x, 'g', -1, 64))
		case string:
			c.Numeric = false
			c.Labels = append(c.Labels, x)
		}
	}
	if !c.Numeric {
		c.Values = nil
	} else {
		c.Labels = nil
	}
	return c
}

func asLabels(c *Column) []string {
	if !c.Numeric {
		return c.Labels
	}
	out := make([]string, len(c.Values))
	for i, v := range c.Values {
		out[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return out
}

func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)))
}
