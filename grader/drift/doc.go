// Package drift computes the data-drift statistics labgrade uses, with
// fixed, documented conventions that match scipy 1.10, so that a drift
// monitor, the grader and the `labgrade drift` command agree on every
// number:
//
//   - ks: two-sided two-sample Kolmogorov-Smirnov. D and the p-value as
//     scipy.stats.ks_2samp(method="auto") gives them: the exact distribution
//     when max(n1, n2) <= 10000, else the asymptotic one (the one-sample
//     Kolmogorov distribution at n = round(n1*n2/(n1+n2))).
//   - psi: population stability index on N bins (default 10) whose inner
//     edges are the reference's quantiles 1/N ... (N-1)/N (linear
//     interpolation, numpy's default), duplicates dropped, outer edges -Inf
//     and +Inf, bin i = [e_i, e_i+1); proportions floored at 1e-4;
//     PSI = sum (c - r) * ln(c / r).
//   - jensenshannon: base-2 Jensen-Shannon distance on the same bins,
//     proportions not floored (scipy.spatial.distance.jensenshannon).
//   - wasserstein: first Wasserstein distance on the raw samples
//     (scipy.stats.wasserstein_distance).
//   - chi2: chi-square test of homogeneity on the category counts of both
//     samples, without Yates' correction (scipy.stats.chi2_contingency
//     with correction=False).
//
// Reference values come from hack/drift-reference (run once with Debian's
// python3-scipy; the vectors are committed in testdata/).
package drift
