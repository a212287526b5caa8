// gen-labdata writes lab files derived from fixture data: the k8s-serving
// lab's reference-data ConfigMap from fixtures/model/reference.csv. Run it
// from the repository root (make generate); a test fails when the committed
// file is stale.
package main

import (
	"fmt"
	"os"

	"github.com/labgrade/labgrade/fixtures/model"
)

const out = "labs/k8s-serving/scenario/reference-data.yaml"

func main() {
	if err := os.WriteFile(out, model.ReferenceConfigMap(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen-labdata:", err)
		os.Exit(1)
	}
	fmt.Println("wrote", out)
}
