package checks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// checkCtx is a check's context as Run makes it: timeout long, in grading.
func checkCtx(grading context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(grading, timeout)
	return context.WithValue(ctx, gradingCtxKey{}, grading), cancel
}

// slowAnswer answers after d, or gives up with its context.
func slowAnswer(d time.Duration, answer error) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		select {
		case <-time.After(d):
			if answer == nil {
				return "seen", nil
			}
			return "", answer
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func TestAskAgainFirstAnswerOutlastsTheCheck(t *testing.T) {
	denied := Failf("denied")
	cases := map[string]struct {
		answer  error
		outcome func(t *testing.T, evidence string, err error)
	}{
		"a failure seen late is the verdict": {answer: denied, outcome: func(t *testing.T, _ string, err error) {
			var f *Failure
			assert.ErrorAs(t, err, &f)
		}},
		"a pass seen late is the verdict": {answer: nil, outcome: func(t *testing.T, evidence string, err error) {
			assert.NoError(t, err)
			assert.Equal(t, "seen", evidence)
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			// the API server answers the first question after 300 ms, a check
			// of 100 ms still judges that answer
			ctx, cancel := checkCtx(context.Background(), 100*time.Millisecond)
			defer cancel()
			evidence, err := askAgain(ctx, slowAnswer(300*time.Millisecond, c.answer))
			c.outcome(t, evidence, err)
		})
	}
}

func TestAskAgainRounds(t *testing.T) {
	t.Run("later rounds keep to the check's time; the last failure stands", func(t *testing.T) {
		ctx, cancel := checkCtx(context.Background(), 300*time.Millisecond)
		defer cancel()
		rounds := 0
		start := time.Now()
		_, err := askAgain(ctx, func(ctx context.Context) (string, error) {
			rounds++
			if rounds == 1 {
				return "", Failf("round 1")
			}
			<-ctx.Done() // a later round hangs: cut at the check's end
			return "", ctx.Err()
		})
		var f *Failure
		require.ErrorAs(t, err, &f)
		assert.Equal(t, "round 1", err.Error())
		assert.Less(t, time.Since(start), firstAnswerWait/2, "a later round did not get the first answer's time")
	})
	t.Run("a busy API server is asked again", func(t *testing.T) {
		ctx, cancel := checkCtx(context.Background(), 5*time.Second)
		defer cancel()
		rounds := 0
		evidence, err := askAgain(ctx, func(context.Context) (string, error) {
			if rounds++; rounds < 3 {
				return "", apierrors.NewTooManyRequests("busy", 0)
			}
			return "ok", nil
		})
		assert.NoError(t, err)
		assert.Equal(t, "ok", evidence)
	})
	t.Run("another error ends it at once", func(t *testing.T) {
		ctx, cancel := checkCtx(context.Background(), 5*time.Second)
		defer cancel()
		boom := apierrors.NewForbidden(schema.GroupResource{Resource: "subjectaccessreviews"}, "", errors.New("no"))
		_, err := askAgain(ctx, func(context.Context) (string, error) { return "", boom })
		assert.ErrorIs(t, err, boom)
	})
	t.Run("the grading's end is not outlasted", func(t *testing.T) {
		grading, stop := context.WithCancel(context.Background())
		ctx, cancel := checkCtx(grading, 100*time.Millisecond)
		defer cancel()
		time.AfterFunc(150*time.Millisecond, stop) // Ctrl-C while the first answer is awaited
		start := time.Now()
		_, err := askAgain(ctx, slowAnswer(time.Minute, nil))
		assert.ErrorIs(t, err, errInterrupted)
		assert.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("no first answer in firstAnswerWait is the environment's error", func(t *testing.T) {
		grading, stop := context.WithTimeout(context.Background(), 200*time.Millisecond) // a batch's deadline
		defer stop()
		ctx, cancel := checkCtx(grading, 100*time.Millisecond)
		defer cancel()
		_, err := askAgain(ctx, slowAnswer(time.Minute, nil))
		var f *Failure
		assert.False(t, errors.As(err, &f), "not the learner's failure: %v", err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestFirstAnswer(t *testing.T) {
	t.Run("at least firstAnswerWait", func(t *testing.T) {
		ctx, cancel := checkCtx(context.Background(), time.Second)
		defer cancel()
		first, cancelFirst := firstAnswer(ctx)
		defer cancelFirst()
		d, ok := first.Deadline()
		require.True(t, ok)
		assert.WithinDuration(t, time.Now().Add(firstAnswerWait), d, 2*time.Second)
	})
	own := map[string]func() (context.Context, context.CancelFunc){
		"a longer check keeps its own deadline": func() (context.Context, context.CancelFunc) {
			return checkCtx(context.Background(), 2*firstAnswerWait)
		},
		"outside a check: the context itself": func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Second)
		},
	}
	for name, make := range own {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := make()
			defer cancel()
			first, cancelFirst := firstAnswer(ctx)
			defer cancelFirst()
			want, _ := ctx.Deadline()
			got, _ := first.Deadline()
			assert.Equal(t, want, got)
		})
	}
}

func TestFirstListed(t *testing.T) {
	// an API server whose first list of pods takes 300 ms
	client := fake.NewClientset()
	client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		time.Sleep(300 * time.Millisecond)
		return false, nil, nil
	})
	inf := informers.NewSharedInformerFactory(client, 0).Core().V1().Pods().Informer()
	stop := make(chan struct{})
	defer close(stop)
	go inf.Run(stop)

	ctx, cancel := checkCtx(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.True(t, firstListed(ctx, inf), "a check of 100 ms still sees the first list")

	grading, stopGrading := context.WithCancel(context.Background())
	stopGrading()
	ctx, cancel = checkCtx(grading, time.Second)
	defer cancel()
	never := informers.NewSharedInformerFactory(fake.NewClientset(), 0).Core().V1().Pods().Informer() // never run
	assert.False(t, firstListed(ctx, never), "an ended grading ends the wait")
}
