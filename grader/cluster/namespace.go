package cluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// ResetNamespace deletes the namespace (if it exists), waits until it is
// gone, and creates it empty: a reused cluster then grades exactly like a
// new one. Objects outside the namespace are left alone.
func (c *Clients) ResetNamespace(ctx context.Context, name string, timeout time.Duration) error {
	nsClient := c.Typed.CoreV1().Namespaces()
	// Pods would otherwise take their full grace period (preStop hooks,
	// draining) to go; nothing of the last run needs a graceful end.
	zero := int64(0)
	_ = c.Typed.CoreV1().Pods(name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
	policy := metav1.DeletePropagationBackground
	err := nsClient.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy, GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", name, err)
	}
	if err == nil {
		err = wait.PollUntilContextTimeout(ctx, 300*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			_, err := nsClient.Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			return fmt.Errorf("namespace %s was not gone after %s (a finalizer left by the last run?)", name, timeout)
		}
	}
	return c.EnsureNamespace(ctx, name)
}

// EnsureNamespace creates the namespace unless it exists.
func (c *Clients) EnsureNamespace(ctx context.Context, name string) error {
	_, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	// The service account controller adds "default" shortly after; pods
	// created before that are refused, so wait for it.
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.Typed.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}
