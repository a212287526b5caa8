package checks

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/labgrade/labgrade/grader/cluster"
	"github.com/labgrade/labgrade/grader/spec"
)

func cronJob() *batchv1.CronJob {
	secretRef := &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "token"}}
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "retrain", Namespace: "lab", UID: "cj-uid"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "ml"}, Annotations: map[string]string{"owner": "ml"}},
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:  corev1.RestartPolicyNever,
				InitContainers: []corev1.Container{{Name: "fetch", Image: "fetch:1.0"}},
				Containers: []corev1.Container{{Name: "trainer", Image: "trainer:1.0", Env: []corev1.EnvVar{
					{Name: "DATASET_VERSION", Value: "2026-11"}, {Name: "REGISTRY_TOKEN", ValueFrom: secretRef},
				}}},
			}}},
		}},
	}
}

// A run is the Job kubectl create job --from=cronjob makes, with the lab's
// variables in place of the template's.
func TestManualRun(t *testing.T) {
	cj := cronJob()
	job := manualRun(cj, map[string]string{"DATASET_VERSION": "2027-01", "EXTRA": "1"})
	assert.Equal(t, "retrain-labgrade-", job.GenerateName)
	assert.Equal(t, map[string]string{"cronjob.kubernetes.io/instantiate": "manual", "owner": "ml"}, job.Annotations)
	assert.Equal(t, map[string]string{"team": "ml"}, job.Labels)
	require.Len(t, job.OwnerReferences, 1)
	ref := job.OwnerReferences[0]
	assert.Equal(t, "CronJob/retrain/cj-uid", ref.Kind+"/"+ref.Name+"/"+string(ref.UID))
	assert.True(t, *ref.Controller, "the CronJob's history limits and concurrency count the run")
	assert.Equal(t, []corev1.EnvVar{
		{Name: "REGISTRY_TOKEN", ValueFrom: cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Env[1].ValueFrom},
		{Name: "DATASET_VERSION", Value: "2027-01"}, {Name: "EXTRA", Value: "1"},
	}, job.Spec.Template.Spec.Containers[0].Env)
	assert.Equal(t, []corev1.EnvVar{{Name: "DATASET_VERSION", Value: "2027-01"}, {Name: "EXTRA", Value: "1"}},
		job.Spec.Template.Spec.InitContainers[0].Env, "init containers get the variables too")
	assert.Equal(t, "2026-11", cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Env[0].Value, "the CronJob is not changed")
	assert.Empty(t, cj.Spec.JobTemplate.Spec.Template.Spec.InitContainers[0].Env, "the CronJob is not changed")

	long := cronJob()
	long.Name = "a-cronjob-whose-name-is-much-longer-than-forty-characters"
	assert.LessOrEqual(t, len(manualRun(long, nil).GenerateName)+5, 63, "a Job's name is a label value")
}

// A missing CronJob is the learner's failure, named, at once.
func TestRunJobWithoutCronJob(t *testing.T) {
	env := Env{Clients: &cluster.Clients{Typed: fake.NewClientset()}, Namespace: "lab-solution", LabNamespace: "lab"}
	k := &spec.JobCheck{CronJob: "retrain"}
	k.Default(&spec.Check{})
	_, err := runJob(context.Background(), env, k)
	var f *Failure
	require.ErrorAs(t, err, &f, "a Failure, not an error: %v", err)
	assert.EqualError(t, err, "CronJob retrain not found in namespace lab-solution: there is nothing to run")
}

func TestCannotStart(t *testing.T) {
	waiting := func(reason, msg string) *corev1.Pod {
		return &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{
			Name: "trainer", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
		}}}}
	}
	assert.Equal(t, "container trainer: CreateContainerConfigError: couldn't find key password in Secret lab/creds",
		cannotStart(waiting("CreateContainerConfigError", "couldn't find key password in Secret lab/creds")))
	assert.Contains(t, cannotStart(waiting("ErrImagePull", "not found")), "ErrImagePull")
	assert.Empty(t, cannotStart(waiting("ContainerCreating", "")), "still starting")

	exited := &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{
		Name: "trainer", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}},
	}}}}
	assert.Empty(t, cannotStart(exited))
	assert.Equal(t, "container trainer exited with code 3 (Error)", podState(exited))
	pending := &corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/1 nodes are available: Insufficient cpu",
	}}}}
	assert.Equal(t, "not scheduled: 0/1 nodes are available: Insufficient cpu", podState(pending))

	// an init container that failed holds the pod, not its containers'
	// PodInitializing; one that finished is passed over, a sidecar too
	always := corev1.ContainerRestartPolicyAlways
	initFailed := &corev1.Pod{
		Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "proxy", RestartPolicy: &always}, {Name: "extract"}, {Name: "validate"}}},
		Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{
				{Name: "proxy", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				{Name: "extract", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}},
				{Name: "validate", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error",
					Message: "etl: transient: GET http://dataset-store/objects/raw: connection refused"}}},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "publish", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}}},
		},
	}
	assert.Equal(t, "init container validate exited with code 1 (Error): etl: transient: GET http://dataset-store/objects/raw: connection refused", podState(initFailed))
	initFailed.Status.InitContainerStatuses[2].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	assert.Equal(t, "init container validate still running", podState(initFailed))
	initFailed.Status.InitContainerStatuses[2].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}
	assert.Equal(t, "container publish waiting: PodInitializing", podState(initFailed), "all init containers done: the containers say")
}

// attempts counts the pods seen, or the Job's own count when a pod came
// and went between two looks.
func TestRunAttempts(t *testing.T) {
	run := &runState{job: &batchv1.Job{}, pods: map[string]*corev1.Pod{"a": {}}}
	assert.Equal(t, 1, run.attempts())
	run.job.Status.Failed, run.job.Status.Active = 1, 1
	assert.Equal(t, 2, run.attempts())
}

// What a run changed in the registry's answer is said in a few words, not
// as two JSON documents.
func TestQueriedChanges(t *testing.T) {
	before := map[string]any{"production": 2.0, "versions": []any{map[string]any{}, map[string]any{}}, "owner": map[string]any{"team": "ml"}}
	after := map[string]any{"production": 3.0, "versions": []any{map[string]any{}, map[string]any{}, map[string]any{}}, "owner": map[string]any{"team": "ops"}}
	q := &spec.JobQuery{Path: "/models"}
	assert.Equal(t, `; GET /models: owner.team "ml" → "ops", production 2 → 3, versions 2 → 3 items`, queried(q, before, after))
	assert.Equal(t, "; GET /models answers as before the run", queried(q, before, before))
	assert.Empty(t, queried(nil, before, after))
	assert.Equal(t, []string{"answer 1 → 2"}, changes("", 1.0, 2.0))
}

// A run that never got a pod says why at its deadline: the Job's last
// warning (the quota refusing its pods), or that no pod was created.
func TestStillGoing(t *testing.T) {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "retrain-labgrade-x", Namespace: "lab"}}
	cs := fake.NewClientset(&corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "e1", Namespace: "lab"},
		InvolvedObject: corev1.ObjectReference{Kind: "Job", Name: job.Name, Namespace: "lab"},
		Type:           corev1.EventTypeWarning, Reason: "FailedCreate",
		Message: `Error creating: pods "retrain-labgrade-x-abcde" is forbidden: exceeded quota: labgrade-sandbox, requested: requests.cpu=8, used: requests.cpu=20m, limited: requests.cpu=4`,
	})
	env := Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}
	got := stillGoing(context.Background(), env, &runState{job: job, pods: map[string]*corev1.Pod{}})
	assert.Equal(t, `no pod was created: FailedCreate: Error creating: pods "retrain-labgrade-x-abcde" is forbidden: exceeded quota: labgrade-sandbox, requested: requests.cpu=8, used: requests.cpu=20m, limited: requests.cpu=4`, got)

	running := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	got = stillGoing(context.Background(), env, &runState{job: job, pods: map[string]*corev1.Pod{"retrain-labgrade-x-abcde": running}})
	assert.Equal(t, "pod retrain-labgrade-x-abcde still running (is there a deadline on the run?)", got)
}

// Pods the API server will never admit fail the run at once; a quota that
// is only used up waits for the deadline, as capacity may free up.
func TestPodsRefused(t *testing.T) {
	event := func(msg string) []any {
		return []any{&corev1.Event{Reason: "FailedCreate", Message: msg}}
	}
	for msg, refused := range map[string]bool{
		`Error creating: pods "r-x" is forbidden: exceeded quota: labgrade-sandbox, requested: limits.cpu=8,requests.cpu=6, used: limits.cpu=0,requests.cpu=0, limited: limits.cpu=8,requests.cpu=4`: true,
		`Error creating: pods "r-x" is forbidden: exceeded quota: labgrade-sandbox, requested: requests.cpu=1, used: requests.cpu=3500m, limited: requests.cpu=4`:                                    false,
		`Error creating: pods "r-x" is forbidden: maximum cpu usage per Container is 2, but limit is 6`:                                                                                              true,
		`Error creating: pods "r-x" is forbidden: violates PodSecurity "baseline:latest": privileged (container "trainer" must not set securityContext.privileged=true)`:                             true,
		`Error creating: Internal error occurred: resource quota evaluation timed out`:                                                                                                               false,
	} {
		assert.Equal(t, refused, podsRefused(event(msg)) != "", msg)
	}
	assert.Empty(t, podsRefused([]any{&corev1.Event{Reason: "BackoffLimitExceeded", Message: "violates PodSecurity"}}), "only pod creation failures")
}

// fakeRun serves a fake API server that names created Jobs as the real one
// does (generateName), and returns the run's Job once the check made it.
func fakeRun(t *testing.T) (*fake.Clientset, <-chan *batchv1.Job) {
	t.Helper()
	cs := fake.NewClientset(cronJob())
	created := make(chan *batchv1.Job, 1)
	cs.PrependReactor("create", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		job := a.(k8stesting.CreateAction).GetObject().(*batchv1.Job)
		job.Name, job.UID = job.GenerateName+"x1", "job-uid"
		created <- job
		return false, nil, nil // the tracker stores it, named
	})
	return cs, created
}

func trainerPod(name string, exit int32) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab", Labels: map[string]string{batchv1.ControllerUidLabel: "job-uid"}},
		Status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "trainer", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit, Reason: "Error", Message: "bad input data"}},
		}}},
	}
}

// The check judges the run by the Job controller's conditions and the
// pods it started, as they change: a run that fails as expected passes; a
// second attempt fails the check at once, naming the first pod's exit.
func TestRunJobWatchesTheRun(t *testing.T) {
	k := &spec.JobCheck{CronJob: "retrain", Env: map[string]string{"DATASET_VERSION": "2027-01"}, Outcome: spec.JobFailed, Reason: "PodFailurePolicy", MaxAttempts: 1}
	k.Default(&spec.Check{})
	ctx := context.Background()

	cs, created := fakeRun(t)
	env := Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}
	go func() {
		job := <-created
		_, _ = cs.CoreV1().Pods("lab").Create(ctx, trainerPod(job.Name+"-a", 3), metav1.CreateOptions{})
		job.Status.Failed = 1
		job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "PodFailurePolicy", Message: "exit code 3"}}
		_, _ = cs.BatchV1().Jobs("lab").UpdateStatus(ctx, job, metav1.UpdateOptions{})
	}()
	evidence, err := runJob(ctx, env, k)
	require.NoError(t, err)
	assert.Regexp(t, `^run retrain-labgrade-x1 of CronJob retrain ended Failed \(PodFailurePolicy: exit code 3\) in [0-9.]+s after 1 attempt\(s\)$`, evidence)
	run, err := cs.BatchV1().Jobs("lab").Get(ctx, "retrain-labgrade-x1", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "2027-01", run.Spec.Template.Spec.Containers[0].Env[1].Value, "the lab's dataset, in the run only")

	cs, created = fakeRun(t)
	env = Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}
	go func() {
		job := <-created
		_, _ = cs.CoreV1().Pods("lab").Create(ctx, trainerPod(job.Name+"-a", 3), metav1.CreateOptions{})
		_, _ = cs.CoreV1().Pods("lab").Create(ctx, trainerPod(job.Name+"-b", 3), metav1.CreateOptions{})
	}()
	_, err = runJob(ctx, env, k)
	var f *Failure
	require.ErrorAs(t, err, &f, "%v", err)
	assert.Contains(t, err.Error(), "run retrain-labgrade-x1 of CronJob retrain started 2 pods, at most 1 expected: it retried; pod retrain-labgrade-x1-a container trainer exited with code 3 (Error): bad input data")
}

// A pod has ended when the kubelet says so, or, before it does, when every
// container has terminated or an init container failed, in a pod that
// never restarts them.
func TestPodEnded(t *testing.T) {
	terminated := func(code int32) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	pod := func(policy corev1.RestartPolicy, inits, containers []corev1.ContainerState) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{RestartPolicy: policy}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
		for i, s := range inits {
			name := fmt.Sprintf("init-%d", i)
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: name})
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, corev1.ContainerStatus{Name: name, State: s})
		}
		for i, s := range containers {
			name := fmt.Sprintf("c-%d", i)
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: name})
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: name, State: s})
		}
		return p
	}
	never, onFailure := corev1.RestartPolicyNever, corev1.RestartPolicyOnFailure
	assert.True(t, podEnded(pod(never, nil, []corev1.ContainerState{terminated(3)})), "exited, not yet reported Failed")
	assert.True(t, podEnded(pod(never, []corev1.ContainerState{terminated(0), terminated(1)}, []corev1.ContainerState{{}})), "an init container failed")
	assert.False(t, podEnded(pod(never, []corev1.ContainerState{terminated(0), running}, []corev1.ContainerState{{}})), "an init container runs")
	assert.False(t, podEnded(pod(never, nil, []corev1.ContainerState{terminated(0), running})), "one container still runs")
	assert.False(t, podEnded(pod(onFailure, nil, []corev1.ContainerState{terminated(3)})), "OnFailure starts it again")
	assert.False(t, podEnded(pod(never, nil, nil)), "no container has a status yet")
	failed := pod(onFailure, nil, []corev1.ContainerState{running})
	failed.Status.Phase = corev1.PodFailed
	assert.True(t, podEnded(failed), "the kubelet's word")

	// a failed sidecar is restarted by the kubelet: it ends nothing
	always := corev1.ContainerRestartPolicyAlways
	withSidecar := pod(never, []corev1.ContainerState{terminated(1)}, []corev1.ContainerState{running})
	withSidecar.Spec.InitContainers[0].RestartPolicy = &always
	assert.False(t, podEnded(withSidecar))
}

// Past its deadline, a run whose pods have all ended waits for the cluster
// to mark it ended, up to the grace: then the check judges the outcome; a
// Job the cluster never ends is an environment error, not a verdict; a
// run with a pod still going at its deadline fails as before.
func TestRunEndedLate(t *testing.T) {
	defer func(g time.Duration) { jobEndGrace = g }(jobEndGrace)
	jobEndGrace = 2 * time.Second
	k := &spec.JobCheck{CronJob: "retrain", Outcome: spec.JobFailed, Reason: "PodFailurePolicy", MaxAttempts: 1, Deadline: spec.Duration{Duration: 100 * time.Millisecond}}
	k.Default(&spec.Check{})
	ctx := context.Background()
	exitedNotFailed := func(name string) *corev1.Pod {
		p := trainerPod(name, 3)
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		p.Spec.Containers = []corev1.Container{{Name: "trainer"}}
		p.Status.Phase = corev1.PodRunning
		return p
	}

	cs, created := fakeRun(t)
	env := Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}
	go func() {
		job := <-created
		_, _ = cs.CoreV1().Pods("lab").Create(ctx, exitedNotFailed(job.Name+"-a"), metav1.CreateOptions{})
		time.Sleep(600 * time.Millisecond) // past the deadline, within the grace
		job.Status.Failed = 1
		job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "PodFailurePolicy", Message: "exit code 3"}}
		_, _ = cs.BatchV1().Jobs("lab").UpdateStatus(ctx, job, metav1.UpdateOptions{})
	}()
	evidence, err := runJob(ctx, env, k)
	require.NoError(t, err)
	assert.Contains(t, evidence, "ended Failed (PodFailurePolicy: exit code 3)")

	cs, created = fakeRun(t)
	env = Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}
	go func() {
		job := <-created
		_, _ = cs.CoreV1().Pods("lab").Create(ctx, exitedNotFailed(job.Name+"-a"), metav1.CreateOptions{})
	}()
	_, err = runJob(ctx, env, k)
	require.Error(t, err)
	var f *Failure
	assert.False(t, errors.As(err, &f), "the cluster's lag is not the learner's: %v", err)
	assert.Contains(t, err.Error(), "its pods had ended by its deadline (100ms), but the cluster had not marked the run ended 2s later; pod retrain-labgrade-x1-a container trainer exited with code 3 (Error): bad input data")

	cs, created = fakeRun(t)
	env = Env{Clients: &cluster.Clients{Typed: cs}, Namespace: "lab"}
	go func() {
		job := <-created
		p := exitedNotFailed(job.Name + "-a")
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
		_, _ = cs.CoreV1().Pods("lab").Create(ctx, p, metav1.CreateOptions{})
	}()
	_, err = runJob(ctx, env, k)
	require.ErrorAs(t, err, &f, "%v", err)
	assert.Contains(t, err.Error(), "did not end within 100ms")
}
