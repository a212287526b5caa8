// Command labgrade grades hands-on Kubernetes labs on kind clusters.
//
// This package only wires flags to the grader library; see grader/.
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
