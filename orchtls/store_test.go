package orchtls

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testPin returns a valid pin derived from s.
func testPin(s string) Pin {
	sum := sha256.Sum256([]byte(s))
	return Pin("sha256/" + base64.StdEncoding.EncodeToString(sum[:]))
}

func TestPinAndKey(t *testing.T) {
	assert.True(t, testPin("a").Valid())
	for _, bad := range []Pin{"", "sha256/", "sha1/" + testPin("a")[7:], "sha256/AAAA", Pin(strings.ToLower(string(testPin("a"))) + "!")} {
		assert.False(t, bad.Valid(), "%q", bad)
	}
	assert.Equal(t, "orch.example.com:8935", Key("Orch.EXAMPLE.com:8935"))
	assert.Equal(t, "[::1]:8935", Key("[::1]:8935"))
	assert.Equal(t, "nohost", Key("NoHost"))
}

func TestMemoryStore(t *testing.T) {
	var m MemoryStore // the zero value works
	got, err := m.LoadOrStore("Orch:1", testPin("a"))
	require.NoError(t, err)
	assert.Equal(t, testPin("a"), got)
	got, _ = m.LoadOrStore("orch:1", testPin("b"))
	assert.Equal(t, testPin("a"), got, "first use wins; keys are case-insensitive hosts")
	p, ok := m.Load("ORCH:1")
	assert.True(t, ok)
	assert.Equal(t, testPin("a"), p)
	require.NoError(t, m.Delete("orch:1"))
	got, _ = m.LoadOrStore("orch:1", testPin("b"))
	assert.Equal(t, testPin("b"), got, "after Delete the next key is pinned")
	assert.Equal(t, map[string]Pin{"orch:1": testPin("b")}, m.Pins())
}

func TestFileStorePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pins.json")
	f, err := OpenFile(path)
	require.NoError(t, err)
	assert.Empty(t, f.Pins(), "a missing file is an empty store")
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "nothing is written before the first pin")

	got, err := f.LoadOrStore("Orch-1:8935", testPin("a"))
	require.NoError(t, err)
	assert.Equal(t, testPin("a"), got)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	data, _ := os.ReadFile(path)
	assert.JSONEq(t, `{"version":1,"pins":{"orch-1:8935":"`+string(testPin("a"))+`"}}`, string(data))

	g, err := OpenFile(path)
	require.NoError(t, err)
	p, ok := g.Load("orch-1:8935")
	require.True(t, ok, "pins outlive the store")
	assert.Equal(t, testPin("a"), p)
	got, _ = g.LoadOrStore("orch-1:8935", testPin("b"))
	assert.Equal(t, testPin("a"), got)

	require.NoError(t, g.Delete("orch-1:8935"))
	h, err := OpenFile(path)
	require.NoError(t, err)
	assert.Empty(t, h.Pins(), "Delete is written too")
}

func TestFileStoreMergesOtherWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pins.json")
	a, err := OpenFile(path)
	require.NoError(t, err)
	b, err := OpenFile(path) // another process, opened before a writes
	require.NoError(t, err)
	_, err = a.LoadOrStore("x:1", testPin("a"))
	require.NoError(t, err)
	got, err := b.LoadOrStore("x:1", testPin("b"))
	require.NoError(t, err)
	assert.Equal(t, testPin("a"), got, "the pin already in the file wins")
	_, err = b.LoadOrStore("y:1", testPin("y"))
	require.NoError(t, err)
	c, err := OpenFile(path)
	require.NoError(t, err)
	assert.Equal(t, map[string]Pin{"x:1": testPin("a"), "y:1": testPin("y")}, c.Pins(), "neither writer's pin is lost")
}

func TestFileStoreRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage":  "not json",
		"version":  `{"version":2,"pins":{}}`,
		"bad pin":  `{"version":1,"pins":{"a:1":"md5/xyz"}}`,
		"no pin":   `{"version":1,"pins":{"a:1":""}}`,
		"wrong ty": `{"version":1,"pins":[]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, err := OpenFile(path)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), path, name)
	}
	empty := filepath.Join(dir, "empty.json")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	f, err := OpenFile(empty)
	require.NoError(t, err, "an empty file is an empty store")
	assert.Empty(t, f.Pins())

	// A file that cannot be written (its directory is missing): the pin is
	// refused, not kept.
	g, err := OpenFile(filepath.Join(dir, "missing", "pins.json"))
	require.NoError(t, err)
	_, err = g.LoadOrStore("a:1", testPin("a"))
	require.Error(t, err)
	_, ok := g.Load("a:1")
	assert.False(t, ok)
}
