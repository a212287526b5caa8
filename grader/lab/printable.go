package lab

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable writes the control characters of msg (a line break, a terminal
// escape, a bidi control…, from a value a problem quotes) and invalid UTF-8
// as visible escapes, so that a problem stays one plain line.
func printable(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		r, size := utf8.DecodeRuneInString(msg[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, msg[i])
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Cf):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(msg[i : i+size])
		}
		i += size
	}
	return b.String()
}
