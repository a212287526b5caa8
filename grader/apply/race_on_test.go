//go:build race

package apply

// raceEnabled: the race detector slows parsing tenfold; timing bounds hold
// without it.
const raceEnabled = true
