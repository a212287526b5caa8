// Package labgrade holds the labs and fixture sources that ship inside the
// labgrade binary, so `labgrade run k8s-serving` works from any directory
// after `go install`.
package labgrade

import "embed"

// Content is labs/ and fixtures/ as they were when labgrade was built, with
// go.mod and go.sum, so that the fixture programs (which import each other
// and third-party modules) compile in an unpacked copy.
//
//go:embed labs fixtures go.mod go.sum
var Content embed.FS
