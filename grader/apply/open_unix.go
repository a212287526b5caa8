//go:build unix

package apply

import "syscall"

// openFlags open a manifest without blocking: should a named pipe take a
// regular file's place after the directory was read, opening it returns at
// once (and the file is then refused as not regular) instead of waiting
// for a writer forever. O_NOFOLLOW: a link put in its place is not
// followed (os.Root would follow it only within the submission anyway).
const openFlags = syscall.O_NONBLOCK | syscall.O_NOFOLLOW
