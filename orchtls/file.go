package orchtls

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
)

// FileStore is a Store kept in a JSON file, so that pins outlive the
// process:
//
//	{"version": 1, "pins": {"orch.example.com:8935": "sha256/…"}}
//
// Every change rewrites the file atomically (a temporary file in the same
// directory, renamed over it; mode 0600), after reading it again so that
// pins another process added meanwhile are kept (a pin already in the file
// wins). Two processes adding pins at the same instant can still lose one
// of the two writes (there is no file lock); the lost pin is taken again
// on the next first use. A FileStore is safe for concurrent use.
type FileStore struct {
	path string
	mu   sync.Mutex
	pins map[string]Pin
}

// fileFormat is the file's JSON.
type fileFormat struct {
	Version int            `json:"version"`
	Pins    map[string]Pin `json:"pins"`
}

// OpenFile returns a FileStore for path, loading the pins already there;
// a missing file is an empty store (created at the first pin). A file
// that cannot be read or is not a pin file gives an error naming path.
func OpenFile(path string) (*FileStore, error) {
	f := &FileStore{path: path}
	pins, err := f.read()
	if err != nil {
		return nil, err
	}
	f.pins = pins
	return f, nil
}

// Path returns the file's path.
func (f *FileStore) Path() string { return f.path }

// LoadOrStore implements Store. A pin that cannot be written to the file
// is not kept, and the error (naming the file) fails the handshake.
func (f *FileStore) LoadOrStore(addr string, pin Pin) (Pin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	addr = Key(addr)
	if p, ok := f.pins[addr]; ok {
		return p, nil
	}
	err := f.updateLocked(func(pins map[string]Pin) bool {
		if p, ok := pins[addr]; ok {
			pin = p // another process pinned it first
			return false
		}
		pins[addr] = pin
		return true
	})
	if err != nil {
		return "", err
	}
	return pin, nil
}

// Delete implements Store.
func (f *FileStore) Delete(addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	addr = Key(addr)
	return f.updateLocked(func(pins map[string]Pin) bool {
		_, ok := pins[addr]
		delete(pins, addr)
		return ok
	})
}

// Load returns addr's pin, if any (as loaded or stored by this FileStore).
func (f *FileStore) Load(addr string) (Pin, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pins[Key(addr)]
	return p, ok
}

// Pins returns a copy of every pin, by address.
func (f *FileStore) Pins() map[string]Pin {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.pins)
}

// updateLocked re-reads the file, applies change and, when it reports a
// change, writes the file. The in-memory pins become the file's.
func (f *FileStore) updateLocked(change func(map[string]Pin) bool) error {
	pins, err := f.read()
	if err != nil {
		return err
	}
	if !change(pins) {
		f.pins = pins
		return nil
	}
	if err := f.write(pins); err != nil {
		return err
	}
	f.pins = pins
	return nil
}

func (f *FileStore) read() (map[string]Pin, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Pin{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("orchtls: pin file: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]Pin{}, nil
	}
	var ff fileFormat
	if err := json.Unmarshal(data, &ff); err != nil {
		return nil, fmt.Errorf("orchtls: pin file %s is not a pin file: %w", f.path, err)
	}
	if ff.Version != 1 {
		return nil, fmt.Errorf("orchtls: pin file %s: version %d is not supported (want 1)", f.path, ff.Version)
	}
	pins := make(map[string]Pin, len(ff.Pins))
	for addr, p := range ff.Pins {
		if !p.Valid() {
			return nil, fmt.Errorf("orchtls: pin file %s: the pin of %s is not sha256/<base64 of 32 bytes>", f.path, addr)
		}
		pins[Key(addr)] = p
	}
	return pins, nil
}

func (f *FileStore) write(pins map[string]Pin) error {
	data, err := json.MarshalIndent(fileFormat{Version: 1, Pins: pins}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".*")
	if err != nil {
		return fmt.Errorf("orchtls: pin file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("orchtls: pin file: %w", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		return fmt.Errorf("orchtls: pin file %s: %w", f.path, err)
	}
	return nil
}
