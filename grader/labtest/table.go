package labtest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/labgrade/labgrade/grader/result"
)

// WriteTable prints the report as a table: one row per case, one column
// per check (numbered; the legend follows), then each case's mismatches.
// A cell is "ok" (passed, as declared), "x" (failed, as declared), "E"
// (ended in error) or "!" followed by what happened when it differs from the
// declaration.
func WriteTable(w io.Writer, rep *Report) {
	if len(rep.Cases) == 0 {
		fmt.Fprintf(w, "lab %s: nothing ran\n", rep.Lab)
		return
	}
	ids := checkIDs(rep)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	header := []string{"case"}
	for i := range ids {
		header = append(header, fmt.Sprint(i+1))
	}
	header = append(header, "score", "seconds", "verdict")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, c := range rep.Cases {
		row := []string{c.Name}
		outcomes := map[string]result.Outcome{}
		for _, ch := range c.Result.Checks {
			outcomes[ch.ID] = ch.Outcome
		}
		for _, id := range ids {
			row = append(row, cell(outcomes[id], slices.Contains(c.Want, id)))
		}
		status := "ok"
		if len(c.Mismatches) > 0 {
			status = "MISMATCH"
		}
		row = append(row, fmt.Sprintf("%d/%d", c.Result.Score, c.Result.MaxScore), fmt.Sprintf("%.1f", c.Seconds), status)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for i, id := range ids {
		fmt.Fprintf(w, "%3d  %s\n", i+1, id)
	}
	for _, c := range rep.Cases {
		for _, m := range c.Mismatches {
			fmt.Fprintf(w, "%s: %s\n", c.Name, m)
		}
	}
	verdict := "every case as declared"
	if !rep.OK {
		verdict = "MISMATCHES: the lab is not proven"
	}
	fmt.Fprintf(w, "\nlab %s: %d cases in %.1fs (%d at a time), %s\n", rep.Lab, len(rep.Cases), rep.Seconds, rep.Parallel, verdict)
}

func cell(o result.Outcome, wantFail bool) string {
	switch {
	case o == result.Error:
		return "E"
	case o == result.Pass && !wantFail:
		return "ok"
	case o == result.Pass:
		return "!ok"
	case o == "":
		return "-"
	case wantFail:
		return "x"
	}
	return "!x"
}

// checkIDs lists the lab's checks in the order of the first case that ran
// them all.
func checkIDs(rep *Report) []string {
	var ids []string
	for _, c := range rep.Cases {
		for _, ch := range c.Result.Checks {
			if !slices.Contains(ids, ch.ID) {
				ids = append(ids, ch.ID)
			}
		}
	}
	return ids
}
