package checks

import (
	"context"
	"errors"
	"time"

	"github.com/labgrade/labgrade/grader/apply"
)

// askAgainPause separates two rounds of an askAgain.
const askAgainPause = 500 * time.Millisecond

// askAgain asks the API server a check's question, round after round,
// until the answer is the expected one (ask returns nil) or ctx ends. The
// authorizer and admission answer from caches (RBAC's bindings, a quota's
// status) that take a moment to see what the learner just applied, so one
// unexpected answer is no verdict yet. When ctx ends, the last whole
// round's Failure stands; a round cut short by ctx does not count. A busy
// API server (apply.IsTransient) is asked again too, and its error stands
// only if no round ever finished. Any other error ends it at once. ask
// makes its requests in the context it is given: the first round's may
// outlast ctx (firstAnswer), so that a slow API server still gets the
// question answered once.
func askAgain(ctx context.Context, ask func(ctx context.Context) (evidence string, err error)) (string, error) {
	var last error
	for round := 0; ; round++ {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if round == 0 {
			rctx, cancel = firstAnswer(ctx)
		}
		evidence, err := ask(rctx)
		cancel()
		var f *Failure
		switch {
		case err == nil:
			return evidence, nil
		case interrupted(ctx):
			return "", errInterrupted
		case errors.As(err, &f):
			last = err
		case ctx.Err() != nil && last != nil:
			return "", last // time ran out in the middle of a round
		case !apply.IsTransient(err):
			return "", err
		case last == nil:
			last = err
		}
		if sleepCtx(ctx, askAgainPause); ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return "", errInterrupted
			}
			return "", last
		}
	}
}
