package docker

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Push copies an image of the engine to a registry as dest, and returns
// the digest the registry holds it under. Credentials come from the
// Docker config (docker login), as docker push's would; insecure allows
// plain HTTP (a registry on this host). Layers the registry already has
// are not sent again.
func (h *Host) Push(ctx context.Context, image, dest string, insecure bool) (string, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(dest, opts...)
	if err != nil {
		return "", fmt.Errorf("pushing %s: %q is not an image reference: %v", image, dest, err)
	}
	// the engine's export (docker save) in a file: a tarball image reads
	// it more than once
	f, err := os.CreateTemp("", "labgrade-push-*.tar")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	archive, err := h.Save(ctx, image)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, archive)
	archive.Close()
	if err != nil {
		return "", fmt.Errorf("exporting %s from Docker: %w", image, err)
	}
	src, err := name.NewTag(image)
	if err != nil {
		return "", err
	}
	img, err := tarball.ImageFromPath(f.Name(), &src)
	if err != nil {
		return "", fmt.Errorf("reading Docker's export of %s: %w", image, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return "", fmt.Errorf("pushing %s to %s: %w", image, dest, err)
	}
	var digest v1.Hash
	if digest, err = img.Digest(); err != nil {
		return "", err
	}
	return digest.String(), nil
}
