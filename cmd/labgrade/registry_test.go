package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --registry is for a cluster labgrade does not make, and
// --registry-insecure only with it.
func TestRegistryFlags(t *testing.T) {
	m, err := (&registryFlags{}).imageMap(true)
	assert.NoError(t, err)
	assert.Nil(t, m, "no --registry: the images are loaded, not mapped")

	_, err = (&registryFlags{insecure: true}).imageMap(true)
	assert.ErrorContains(t, err, "--registry-insecure goes with --registry")

	_, err = (&registryFlags{registry: "registry.example.com/class"}).imageMap(false)
	assert.ErrorContains(t, err, "--registry goes with --kubeconfig")

	m, err = (&registryFlags{registry: "registry.example.com/class/"}).imageMap(true)
	require.NoError(t, err)
	assert.Equal(t, "registry.example.com/class", m.Registry)
	assert.False(t, m.Insecure)
}
