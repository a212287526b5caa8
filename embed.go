// Package labgrade holds the labs and fixture sources that ship inside the
// labgrade binary, so `labgrade run k8s-serving` works from any directory
// after `go install`.
package labgrade

import "embed"

// Content is labs/ and fixtures/ as they were when labgrade was built, with
// go.mod, go.sum and the grader packages the fixture programs import
// (grader/traffic, grader/drift), so that the fixtures compile in an
// unpacked copy. grader/catalog's test builds every lab image there.
//
//go:embed labs fixtures go.mod go.sum grader/traffic/*.go grader/drift/*.go
var Content embed.FS
