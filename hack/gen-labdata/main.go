// gen-labdata writes lab files derived from fixture data: the
// reference-data ConfigMap of each lab that runs the drift monitor, from
// fixtures/model/reference.csv (each lab keeps its own copy, so that a lab
// directory is complete in itself). Run it
// from the repository root (make generate); a test fails when the committed
// file is stale.
package main

import (
	"fmt"
	"os"

	"github.com/labgrade/labgrade/fixtures/model"
)

func main() {
	for _, out := range model.ReferenceConfigMapFiles {
		if err := os.WriteFile(out, model.ReferenceConfigMap(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen-labdata:", err)
			os.Exit(1)
		}
		fmt.Println("wrote", out)
	}
}
