// gen-kinds writes grader/spec/zz_generated_kinds.go, the check kind fields
// of spec.Check, from the kind types marked //labgrade:checkkind (see
// grader/spec/kindgen). Run it from the repository root, before gen-schema
// (make generate); tests fail when the committed file is stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/labgrade/labgrade/grader/spec/kindgen"
)

const specDir = "grader/spec"

func main() {
	src, err := kindgen.Generate(specDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-kinds:", err)
		os.Exit(1)
	}
	out := filepath.Join(specDir, kindgen.File)
	if err := os.WriteFile(out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen-kinds:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", out)
}
