package apply

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A submission's file names and contents reach the learner's problems, and
// from there stdout, CI logs and every report. Problems are one line each
// (the runner splits Read's error on "\n"), so whatever comes from the
// submission is escaped here before it is part of one: no line break, no
// terminal escape sequence, no CI workflow command, and file content only as
// a short excerpt.

// excerptRunes is the most runes of a submission's text a problem quotes.
const excerptRunes = 48

// escape writes s visibly and on one line, in at most max characters (0:
// no limit), "…" marking a cut:
//   - invalid UTF-8 becomes \xNN;
//   - tab, line feed and carriage return become \t, \n, \r, every other C0
//     control and DEL \xNN, C1 controls, Unicode line and paragraph
//     separators, bidi controls and other invisible format characters
//     \uNNNN: nothing a terminal or a CI log reads as a control;
//   - "::" becomes ":\:" and "##[" "#\#[", so that no part of a problem
//     can be read as a GitHub workflow command (or a legacy "##[" one),
//     wherever it ends up in a line.
//
// escape changes nothing in what it returns.
func escape(s string, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && size == 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case r == '\t':
			piece = `\t`
		case r == '\n':
			piece = `\n`
		case r == '\r':
			piece = `\r`
		case r < 0x20 || r == 0x7f:
			piece = fmt.Sprintf(`\x%02x`, r)
		case needsEscape(r):
			piece = fmt.Sprintf(`\u%04x`, r)
		case r == ':' && strings.HasPrefix(s[i+1:], ":"):
			piece = `:\`
		case r == '#' && strings.HasPrefix(s[i+1:], "#["):
			piece = `#\`
		default:
			piece = s[i : i+size]
		}
		if max > 0 && n+utf8.RuneCountInString(piece) > max {
			b.WriteString("…")
			break
		}
		b.WriteString(piece)
		n += utf8.RuneCountInString(piece)
		i += size
	}
	return b.String()
}

// needsEscape is true for the runes other than C0 controls and DEL that
// escape writes as \uNNNN: C1 controls (U+009B is a terminal's CSI),
// line and paragraph separators, and format characters (bidi controls,
// zero-width characters, U+FEFF), which can make text read other than it
// is.
func needsEscape(r rune) bool {
	return (r >= 0x80 && r < 0xa0) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf) ||
		r == 0xfffe || r == 0xffff
}

// excerpt quotes a short, escaped excerpt of the submission's text.
func excerpt(s string) string { return `"` + escape(s, excerptRunes) + `"` }

// unsafeName is true when a file or directory name has what escape would
// change other than "::" and "##[" (a control, a format character, invalid
// UTF-8): such a name is refused, so that every file an object comes from
// prints as it is, on one line.
func unsafeName(name string) bool {
	if !utf8.ValidString(name) {
		return true
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || needsEscape(r) {
			return true
		}
	}
	return false
}
