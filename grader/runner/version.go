package runner

import "runtime/debug"

// KindVersion is the version of the kind library built into labgrade.
func KindVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == "sigs.k8s.io/kind" {
			return d.Version
		}
	}
	return ""
}
