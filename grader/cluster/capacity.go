package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	resourcehelper "k8s.io/component-helpers/resource"
)

// FreeCPU is the CPU, in millicores, that the scheduler can still give
// pods on the nodes that take any pod: each such node's allocatable CPU
// minus the requests of the pods bound to it that have not ended (pods
// still terminating hold theirs). Nodes cordoned or tainted NoSchedule
// or NoExecute are left out: an ordinary grading pod cannot land there.
// It is what bounds how many gradings fit side by side; the host's CPUs
// say nothing of a cluster elsewhere.
func (c *Clients) FreeCPU(ctx context.Context) (int64, error) {
	nodes, err := c.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("listing nodes: %w", err)
	}
	free := map[string]int64{}
	for _, n := range nodes.Items {
		if takesAnyPod(&n) {
			free[n.Name] = n.Status.Allocatable.Cpu().MilliValue()
		}
	}
	pods, err := c.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: "status.phase!=Succeeded,status.phase!=Failed"})
	if err != nil {
		return 0, fmt.Errorf("listing pods: %w", err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue // the field selector says so too; not every server honours it
		}
		if _, ok := free[p.Spec.NodeName]; ok {
			// the scheduler's own sum: the larger of the init containers
			// and the containers, plus pod overhead and pod-level requests
			asked := resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{})
			free[p.Spec.NodeName] -= asked.Cpu().MilliValue()
		}
	}
	var sum int64
	for _, f := range free {
		sum += max(0, f)
	}
	return sum, nil
}

func takesAnyPod(n *corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	return true
}
