// Package labgrade holds the labs and fixture sources that ship inside the
// labgrade binary, so `labgrade run k8s-serving` works from any directory
// after `go install`.
package labgrade

import "embed"

// Content is labs/ and fixtures/ as they were when labgrade was built.
//
//go:embed labs fixtures
var Content embed.FS
