// Command variants writes a lab's solution and each of its broken variants
// as submission directories, DIR/solution and DIR/<variant>, for a batch
// to grade: the class of make bench-batch, whose verdicts are known.
//
//	go run ./hack/bench/variants labs/k8s-serving DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/labgrade/labgrade/grader/lab"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: variants LAB_DIR OUT_DIR")
		os.Exit(2)
	}
	if err := write(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func write(labDir, out string) error {
	l, err := lab.Load(labDir)
	if err != nil {
		return err
	}
	variants, err := lab.Variants(l)
	if err != nil {
		return err
	}
	// the zero variant is the solution
	all := append([]lab.Variant{{}}, variants...)
	for _, v := range all {
		name := v.Name
		if name == "" {
			name = "solution"
		}
		if err := v.Materialize(l, filepath.Join(out, name)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	fmt.Println(len(all))
	return nil
}
