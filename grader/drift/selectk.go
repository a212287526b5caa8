package drift

import "sort"

// selectOrderStats rearranges a so that a[k] holds its k-th smallest value
// for every k in ks (sorted, distinct), like numpy's partition with several
// kth: one quickselect that recurses only into the parts holding a wanted
// index, O(n log len(ks)). Binning needs ~20 order statistics of the
// reference, so a full sort would do far more work than needed.
func selectOrderStats(a []float64, ks []int) {
	var rec func(lo, hi int, ks []int)
	rec = func(lo, hi int, ks []int) {
		for len(ks) > 0 && hi-lo > 16 {
			p := partition(a, lo, hi)
			// ks below p go left, above go right, p itself is final
			i := sort.SearchInts(ks, p)
			left, right := ks[:i], ks[i:]
			if len(right) > 0 && right[0] == p {
				right = right[1:]
			}
			if len(left) < len(right) {
				rec(lo, p, left)
				lo, ks = p+1, right
			} else {
				rec(p+1, hi, right)
				hi, ks = p, left
			}
		}
		if len(ks) > 0 { // small range: insertion sort
			for i := lo + 1; i < hi; i++ {
				for j := i; j > lo && a[j] < a[j-1]; j-- {
					a[j], a[j-1] = a[j-1], a[j]
				}
			}
		}
	}
	rec(0, len(a), ks)
}

// partition puts a median-of-three pivot of a[lo:hi] in its final place and
// returns that index (Lomuto scheme, equal values to the left).
func partition(a []float64, lo, hi int) int {
	mid := lo + (hi-lo)/2
	last := hi - 1
	if a[mid] < a[lo] {
		a[mid], a[lo] = a[lo], a[mid]
	}
	if a[last] < a[lo] {
		a[last], a[lo] = a[lo], a[last]
	}
	if a[mid] < a[last] {
		a[mid], a[last] = a[last], a[mid]
	}
	pivot := a[last] // the median of the three
	i := lo
	for j := lo; j < last; j++ {
		if a[j] < pivot || (a[j] == pivot && j%2 == 0) { // split ties so all-equal data stays O(n log n)
			a[i], a[j] = a[j], a[i]
			i++
		}
	}
	a[i], a[last] = a[last], a[i]
	return i
}
