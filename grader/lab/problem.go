package lab

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a lab file, at a place in it.
type Problem struct {
	File string
	Line int // 1-based; 0 when the place is unknown
	Col  int
	Msg  string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Error is every problem found in one lab, in file order. Loading reports
// all of them at once so an author fixes a file in one pass.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
