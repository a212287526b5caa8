package runner

import (
	"context"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labgrade/labgrade/grader/apply"
	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/docker"
	"github.com/labgrade/labgrade/grader/faults"
	"github.com/labgrade/labgrade/grader/lab"
	"github.com/labgrade/labgrade/grader/spec"
)

// fakeProvider records what a session asks of kind; nothing is real.
type fakeProvider struct {
	exists  bool
	deleted []string
	calls   []string
}

func (f *fakeProvider) Exists(string) (bool, error) {
	f.calls = append(f.calls, "exists")
	return f.exists, nil
}
func (f *fakeProvider) Create(context.Context, string, string, string, cluster.Options) error {
	f.calls = append(f.calls, "create")
	return nil
}
func (f *fakeProvider) Delete(name, _ string) error { f.deleted = append(f.deleted, name); return nil }
func (f *fakeProvider) WriteKubeconfig(string, string) error {
	f.calls = append(f.calls, "kubeconfig")
	return nil
}
func (f *fakeProvider) NodeImage(context.Context, string) string                   { return "" }
func (f *fakeProvider) BuildImage(context.Context, docker.ImageSpec) (bool, error) { return false, nil }
func (f *fakeProvider) LoadImage(context.Context, string, string) ([]string, error) {
	f.calls = append(f.calls, "load")
	return nil, nil
}
func (f *fakeProvider) PushImage(_ context.Context, _, dest string, _ bool) (string, error) {
	f.calls = append(f.calls, "push "+dest)
	return "sha256:0", nil
}
func (f *fakeProvider) ServerVersion(context.Context, *cluster.Clients) (string, error) {
	f.calls = append(f.calls, "version")
	return "v1.37.0", nil
}
func (f *fakeProvider) Apply(context.Context, *cluster.Clients, []apply.Object, string) error {
	f.calls = append(f.calls, "apply")
	return nil
}

func testLab() *lab.Lab {
	l := &lab.Lab{}
	l.Metadata.Name = "demo"
	l.Spec.Namespace = "demo"
	return l
}

// TestSessionRefuses: what each cluster mode refuses, before anything is
// created, with what to do.
func TestSessionRefuses(t *testing.T) {
	t.Setenv(cluster.EnvNodeImage, "node:test") // no Docker asked for the image
	f := &fakeProvider{exists: true}
	s := &Session{opts: Options{Lab: testLab(), Cluster: NewCluster}, provider: f}
	err := s.ensureCluster(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kind cluster labgrade-demo already exists")
	assert.Contains(t, err.Error(), "--reuse")
	assert.NotContains(t, f.calls, "create")

	f = &fakeProvider{}
	s = &Session{opts: Options{Lab: testLab(), Cluster: LabCluster}, provider: f}
	t.Setenv("HOME", t.TempDir()) // no kubeconfig of labgrade's: kind is asked
	err = s.ensureCluster(context.Background())
	require.Error(t, err)
	assert.Equal(t, "there is no kind cluster labgrade-demo: start one with 'labgrade up demo'", err.Error())
	assert.NotContains(t, f.calls, "create")
}

// TestSessionClose: a session deletes only the cluster it created, and
// not when told to keep it.
func TestSessionClose(t *testing.T) {
	for _, tc := range []struct {
		name          string
		created, keep bool
		deleted       []string
	}{
		{"created", true, false, []string{"labgrade-demo"}},
		{"created and kept", true, true, nil},
		{"reused", false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeProvider{}
			s := &Session{opts: Options{Lab: testLab(), KeepCluster: tc.keep}, provider: f, created: tc.created, kindCluster: "labgrade-demo"}
			require.NoError(t, s.Close())
			assert.Equal(t, tc.deleted, f.deleted)
		})
	}
}

// TestGradeWithoutCluster: a grading in a session whose cluster step
// failed is an environment error, never a score.
func TestGradeWithoutCluster(t *testing.T) {
	l := testLab()
	l.Spec.Checks = []spec.Check{{ID: "a", Points: 1}}
	s := &Session{opts: Options{Lab: l}, provider: &fakeProvider{}}
	res := s.Grade(context.Background(), Grading{Name: "x"})
	assert.Equal(t, "the session has no cluster", res.EnvironmentError)
	assert.Equal(t, "x", res.Submission)
	assert.Equal(t, "demo", res.Namespace)
	assert.Equal(t, 2, res.ExitCode())
}

// TestFaulty: the fault wrapper fails each point as often as asked, then
// hands over to the real provider; the real one is never touched by an
// injected fault.
func TestFaulty(t *testing.T) {
	t.Setenv(faults.EnvVar, "kind-create=1,image-load=2,api=1,apply=1")
	require.True(t, faults.Enabled())
	f := &fakeProvider{}
	p := faulty{f}
	ctx := context.Background()
	assert.ErrorIs(t, p.Create(ctx, "c", "", "", cluster.Options{}), syscall.ECONNRESET)
	assert.NoError(t, p.Create(ctx, "c", "", "", cluster.Options{}))
	for range 2 {
		_, err := p.LoadImage(ctx, "c", "labgrade.local/x:1")
		assert.ErrorIs(t, err, syscall.ECONNRESET)
	}
	_, err := p.LoadImage(ctx, "c", "labgrade.local/x:1")
	assert.NoError(t, err)
	_, err = p.ServerVersion(ctx, nil)
	assert.True(t, transient(err), "an injected fault is what retries are for: %v", err)
	_, err = p.ServerVersion(ctx, nil)
	assert.NoError(t, err)
	assert.Error(t, p.Apply(ctx, nil, nil, "ns"))
	assert.NoError(t, p.Apply(ctx, nil, nil, "ns"))
	assert.Equal(t, []string{"create", "load", "version", "apply"}, f.calls, "each real call came after its faults")
}

// TestPushImages: with a registry, each lab image is pushed under the
// registry's name for it; an image that is not the lab's own is refused.
func TestPushImages(t *testing.T) {
	m, err := cluster.NewImageMap("localhost:5001/class", false)
	require.NoError(t, err)
	l := testLab()
	l.Spec.Cluster.Images = []spec.Image{{Name: "labgrade.local/etl:1.0"}, {Name: "labgrade.local/store:1.0"}}
	f := &fakeProvider{}
	s := &Session{opts: Options{Lab: l}, provider: f}
	require.NoError(t, s.pushImages(context.Background(), m))
	assert.Equal(t, []string{"push localhost:5001/class/etl:1.0", "push localhost:5001/class/store:1.0"}, f.calls)

	f.calls = nil
	l.Spec.Cluster.Images = []spec.Image{{Name: "labgrade.local/etl:1.0"}, {Name: "docker.io/library/nginx:1.27"}}
	err = s.pushImages(context.Background(), m)
	assert.ErrorContains(t, err, "not under labgrade.local/")
	assert.Empty(t, f.calls, "nothing pushed before the refusal")
}
