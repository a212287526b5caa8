// web is the lab's service: GET / answers "hello from <host> version <v>",
// any POST answers 200, /healthz while alive, /readyz once warmed up (never
// for version "broken"). On SIGTERM it stops accepting and finishes what is
// in flight.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// version is set at build time (-X main.version=1.1).
var version = "1.0"

func main() {
	warmup := time.Second
	if s := os.Getenv("WARMUP"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			warmup = d
		}
	}
	host, _ := os.Hostname()
	var ready atomic.Bool
	if version != "broken" {
		time.AfterFunc(warmup, func() { ready.Store(true) })
	}
	// Plain patterns, without Go 1.22's "METHOD /path" form: this program
	// may be built outside any module, where that form is not understood.
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, "{\"version\": %q}\n", version)
			return
		}
		fmt.Fprintf(w, "hello from %s version %s\n", host, version)
	})
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-stop
		ready.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
