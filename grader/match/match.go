// Package match compares a partial expected object with an actual one, the
// way lab checks want it:
//
//   - keys absent from expected are ignored; a key whose expected value is
//     null must be absent from actual (a null actual value counts as absent);
//   - a key that is absent because its parent is absent is absent too: a
//     mapping whose every leaf is null ({securityContext: {privileged: null}})
//     is satisfied when the mapping itself is missing, at any depth, while a
//     mapping that asks for any non-null value still needs its parent;
//   - an empty mapping ({}) only asks that the key exists (and is a mapping),
//     so it is not "all null" and is never satisfied by an absent parent;
//   - a list matches when every expected element matches a distinct actual
//     element, in any order (kuttl compares lists by position, which makes
//     tests depend on the order a controller happened to write);
//   - scalars compare by value: numbers numerically, and two values that
//     both read as Kubernetes quantities compare as quantities, so "1Gi"
//     equals "1024Mi" and 0.5 equals "500m".
package match

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Mismatch is the first difference found.
type Mismatch struct {
	// Path is where it is, e.g. spec.template.spec.containers[name=server].readinessProbe.
	Path string
	// Expected and Actual are short renderings of both sides.
	Expected, Actual string
}

func (m *Mismatch) String() string {
	return fmt.Sprintf("%s: expected %s, got %s", m.Path, m.Expected, m.Actual)
}

// Absent renders a missing value.
const Absent = "<absent>"

// Match returns nil when actual satisfies expected, else the first
// difference. path prefixes the reported path (may be "").
func Match(expected, actual any, path string) *Mismatch {
	return matchValue(expected, actual, true, path)
}

func matchValue(exp, act any, present bool, path string) *Mismatch {
	if exp == nil {
		if present && act != nil {
			return &Mismatch{Path: path, Expected: Absent, Actual: Short(act)}
		}
		return nil
	}
	if _, isMap := exp.(map[string]any); !present || (isMap && act == nil) {
		return absentMismatch(exp, path)
	}
	switch e := exp.(type) {
	case map[string]any:
		a, ok := act.(map[string]any)
		if !ok {
			return &Mismatch{Path: path, Expected: "a mapping", Actual: Short(act)}
		}
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic "first" difference
		for _, k := range keys {
			av, ok := a[k]
			if m := matchValue(e[k], av, ok, join(path, k)); m != nil {
				return m
			}
		}
		return nil
	case []any:
		a, ok := act.([]any)
		if !ok {
			return &Mismatch{Path: path, Expected: "a list", Actual: Short(act)}
		}
		return matchList(e, a, path)
	default:
		if scalarEqual(exp, act) {
			return nil
		}
		return &Mismatch{Path: path, Expected: Short(exp), Actual: Short(act)}
	}
}

// absentMismatch is the difference between a non-null expected value and a
// missing one (absent, or a mapping that is null). Null leaves are satisfied
// by the absence, so they are skipped; the mismatch names the largest missing
// subtree that holds no null, so a plain missing mapping is reported whole
// (the learner sees everything that is missing) while a mix of nulls and
// values names the value, not the nulls that are fine. nil when every leaf
// is null.
func absentMismatch(exp any, path string) *Mismatch {
	e, ok := exp.(map[string]any)
	if !ok || !hasNull(e) {
		return &Mismatch{Path: path, Expected: Short(exp), Actual: Absent}
	}
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same "first" difference as matchValue
	for _, k := range keys {
		if e[k] == nil {
			continue
		}
		if m := absentMismatch(e[k], join(path, k)); m != nil {
			return m
		}
	}
	return nil
}

// hasNull reports whether a null leaf lies anywhere in the mapping (not in
// lists: a list element is matched against actual elements, never against
// an absence).
func hasNull(m map[string]any) bool {
	for _, v := range m {
		if v == nil {
			return true
		}
		if sub, ok := v.(map[string]any); ok && hasNull(sub) {
			return true
		}
	}
	return false
}

// matchList finds a one-to-one assignment of expected elements to actual
// ones (bipartite matching by augmenting paths; lists in manifests are
// short, so the simple algorithm is plenty). When none exists, it reports
// the unmatched expected element against its most similar actual element.
func matchList(exp, act []any, path string) *Mismatch {
	fits := make([][]bool, len(exp))
	for i := range exp {
		fits[i] = make([]bool, len(act))
		for j := range act {
			fits[i][j] = matchValue(exp[i], act[j], true, "") == nil
		}
	}
	owner := make([]int, len(act)) // actual j -> expected i, or -1
	for j := range owner {
		owner[j] = -1
	}
	var augment func(i int, seen []bool) bool
	augment = func(i int, seen []bool) bool {
		for j := range act {
			if fits[i][j] && !seen[j] {
				seen[j] = true
				if owner[j] < 0 || augment(owner[j], seen) {
					owner[j] = i
					return true
				}
			}
		}
		return false
	}
	for i := range exp {
		if augment(i, make([]bool, len(act))) {
			continue
		}
		elem := fmt.Sprintf("%s[%d]", path, i)
		if name := nameOf(exp[i]); name != "" {
			elem = fmt.Sprintf("%s[name=%s]", path, name)
		}
		if len(act) == 0 {
			return &Mismatch{Path: elem, Expected: Short(exp[i]), Actual: "an empty list"}
		}
		// Closest actual element: the same name if there is one, else the
		// one whose mismatch lies deepest.
		var best *Mismatch
		for j := range act {
			m := matchValue(exp[i], act[j], true, elem)
			if m == nil { // fits, but is taken by another expected element
				m = &Mismatch{Path: elem, Expected: Short(exp[i]) + " (a distinct element)", Actual: "only elements already matched by others"}
			}
			if n := nameOf(exp[i]); n != "" && n == nameOf(act[j]) {
				return m
			}
			if best == nil || strings.Count(m.Path, ".") > strings.Count(best.Path, ".") {
				best = m
			}
		}
		return best
	}
	return nil
}

func nameOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["name"].(string); ok {
			return s
		}
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func scalarEqual(exp, act any) bool {
	if exp == act {
		return true
	}
	if x, ok := number(exp); ok {
		if y, ok := number(act); ok {
			return x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
		}
	}
	// Quantities: only when at least one side is a string, so that plain
	// strings such as "abc" never reach the quantity parser by accident.
	_, es := exp.(string)
	_, as := act.(string)
	if es || as {
		if qe, ok := quantity(exp); ok {
			if qa, ok := quantity(act); ok {
				return qe.Cmp(qa) == 0
			}
		}
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func quantity(v any) (resource.Quantity, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		f, ok := number(v)
		if !ok {
			return resource.Quantity{}, false
		}
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	q, err := resource.ParseQuantity(s)
	return q, err == nil
}

// Short renders a value in one short line for messages.
func Short(v any) string {
	if v == nil {
		return "null"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}
