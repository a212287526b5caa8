//go:build !unix

package apply

// openFlags: no named pipes or device files to guard against here beyond
// the check that what was opened is a regular file.
const openFlags = 0
