package cluster

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewImageMap(t *testing.T) {
	m, err := NewImageMap("localhost:5001/labgrade/", false)
	require.NoError(t, err)
	assert.Equal(t, "localhost:5001/labgrade", m.Registry)
	assert.True(t, m.Insecure, "a registry on this host speaks plain HTTP")
	assert.Equal(t, "localhost:5001/labgrade/model-server:1.1", m.ToCluster("labgrade.local/model-server:1.1"))
	assert.Equal(t, "", m.ToCluster("nginx:1.27"))

	m, err = NewImageMap("registry.example.com/course/labgrade", false)
	require.NoError(t, err)
	assert.False(t, m.Insecure)
	for _, bad := range []string{"", "labgrade", "labgrade.local", "registry.example.com/a b", "registry.example.com/x:tag"} {
		_, err := NewImageMap(bad, false)
		assert.Error(t, err, bad)
	}
}

var toCluster = replacement{from: []byte(LabImagePrefix), to: []byte("localhost:5001/lab/")}

// A reference is mapped where it starts, and only there.
func TestReplacementAll(t *testing.T) {
	in := `{"image":"labgrade.local/model-server:1.0","other":"notlabgrade.local/x","cmd":["labgrade.local/a", "labgrade.local/b"]}` + "\nimage: labgrade.local/etl:1.0\n"
	want := `{"image":"localhost:5001/lab/model-server:1.0","other":"notlabgrade.local/x","cmd":["localhost:5001/lab/a", "localhost:5001/lab/b"]}` + "\nimage: localhost:5001/lab/etl:1.0\n"
	assert.Equal(t, want, string(toCluster.all([]byte(in))))
	assert.Equal(t, "localhost:5001/lab/x", string(toCluster.all([]byte("labgrade.local/x"))))
}

// A stream read a byte at a time, or in chunks that split a reference,
// comes out as the whole body replaced at once.
func TestReplacingReaderStreams(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 2000; i++ {
		b.WriteString(`{"type":"MODIFIED","object":{"image":"labgrade.local/model-server:1.0","x":"notlabgrade.local/y"}}` + "\n")
	}
	in := b.String()
	want := string(toCluster.all([]byte(in)))
	for name, r := range map[string]io.Reader{
		"one byte at a time": iotest.OneByteReader(strings.NewReader(in)),
		"half reads":         iotest.HalfReader(strings.NewReader(in)),
		"whole":              strings.NewReader(in),
	} {
		got, err := io.ReadAll(&replacingReader{src: io.NopCloser(r), r: toCluster})
		require.NoError(t, err, name)
		assert.True(t, bytes.Equal([]byte(want), got), name)
	}
	// the answer's own error ends the stream, after what came before it
	got, err := io.ReadAll(&replacingReader{src: io.NopCloser(iotest.TimeoutReader(strings.NewReader("labgrade.local/a"))), r: toCluster})
	assert.ErrorIs(t, err, iotest.ErrTimeout)
	assert.Equal(t, "localhost:5001/lab/a", string(got), "what was read before the error")
}

// A watch event is delivered whole as soon as it has arrived, without
// waiting for the next one; only an end that could begin a reference
// waits.
func TestReplacingReaderDoesNotHoldEvents(t *testing.T) {
	pr, pw := io.Pipe()
	rr := &replacingReader{src: pr, r: toCluster}
	event := `{"type":"ADDED","object":{"image":"labgrade.local/etl:1.0"}}` + "\n"
	go func() { _, _ = pw.Write([]byte(event + "labgrade.lo")) }()
	want := string(toCluster.all([]byte(event)))
	got := make([]byte, 0, len(want))
	buf := make([]byte, 1024)
	for len(got) < len(want) {
		n, err := rr.Read(buf)
		require.NoError(t, err)
		got = append(got, buf[:n]...)
	}
	assert.Equal(t, want, string(got), "the event, and not the start of a reference after it")
	go func() { _, _ = pw.Write([]byte("cal/x")); _ = pw.Close() }()
	rest, err := io.ReadAll(rr)
	require.NoError(t, err)
	assert.Equal(t, "localhost:5001/lab/x", string(rest))
}

// What the mapping rewrites: JSON (watches too) and YAML apply patches;
// protobuf, CBOR and other streams pass as they are.
func TestTextual(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json": true, "application/json;stream=watch": true, "application/apply-patch+yaml": true,
		"application/merge-patch+json": true, "application/vnd.kubernetes.protobuf": false,
		"application/cbor": false, "text/plain": false, "": false,
	} {
		assert.Equal(t, want, textual(ct), ct)
	}
}
