package drift

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func table(t *testing.T, name, csv string) *Table {
	t.Helper()
	tb, err := parseCSV(name, strings.NewReader(csv))
	require.NoError(t, err)
	return tb
}

func TestCompare(t *testing.T) {
	var ref, cur strings.Builder
	ref.WriteString("age,color\n")
	cur.WriteString("age,color\n")
	for i := 0; i < 400; i++ {
		colors := []string{"red", "green", "blue"}
		ref.WriteString(strings.Join([]string{strconv.Itoa(i % 50), colors[i%3]}, ",") + "\n")
		cur.WriteString(strings.Join([]string{strconv.Itoa(i%50 + 25), colors[i%3]}, ",") + "\n") // age shifted, colors same
	}
	rep, err := Compare(table(t, "ref.csv", ref.String()), table(t, "cur.csv", cur.String()), Options{})
	require.NoError(t, err)
	require.Len(t, rep.Features, 2)
	age, color := rep.Features[0], rep.Features[1]
	assert.Equal(t, "ks", age.Test)
	assert.True(t, age.Drift)
	assert.Less(t, *age.PValue, 0.05)
	assert.Equal(t, "chi2", color.Test)
	assert.False(t, color.Drift)

	rep, err = Compare(table(t, "ref.csv", ref.String()), table(t, "cur.csv", cur.String()), Options{Test: "psi"})
	require.Error(t, err, "psi on a categorical column")
	assert.Contains(t, err.Error(), `feature "color"`)
	_ = rep
}

func TestCompareProblems(t *testing.T) {
	ref := table(t, "ref.csv", "a,b\n1,2\n")
	cur := table(t, "cur.csv", "a\n1\n")
	_, err := Compare(ref, cur, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cur.csv lacks the reference's feature(s) [b]")
	_, err = Compare(ref, ref, Options{Test: "anova"})
	assert.ErrorContains(t, err, `unknown test "anova"`)
	_, err = parseCSV("x.csv", strings.NewReader("a,a\n1,2\n"))
	assert.ErrorContains(t, err, "x.csv:1: column 2 has an empty or repeated name")
	_, err = parseCSV("x.csv", strings.NewReader("a,b\n1,2\n3\n"))
	assert.ErrorContains(t, err, "x.csv")
}
