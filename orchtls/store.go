package orchtls

import (
	"maps"
	"sync"
)

// Store keeps one Pin per orchestrator address (a Key: "host:port", host
// in lower case). Implementations must be safe for concurrent use; the
// handshake waits for them, so they should answer quickly.
type Store interface {
	// LoadOrStore returns the pin stored for addr, or stores pin and
	// returns it when addr has none (trust on first use). An error fails
	// the handshake.
	LoadOrStore(addr string, pin Pin) (Pin, error)
	// Delete removes addr's pin: the next connection pins again.
	Delete(addr string) error
}

// MemoryStore is a Store held in memory (pins last as long as it does).
// The zero value is ready to use.
type MemoryStore struct {
	mu   sync.Mutex
	pins map[string]Pin
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// LoadOrStore implements Store; it never fails.
func (m *MemoryStore) LoadOrStore(addr string, pin Pin) (Pin, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	addr = Key(addr)
	if p, ok := m.pins[addr]; ok {
		return p, nil
	}
	if m.pins == nil {
		m.pins = map[string]Pin{}
	}
	m.pins[addr] = pin
	return pin, nil
}

// Delete implements Store; it never fails.
func (m *MemoryStore) Delete(addr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pins, Key(addr))
	return nil
}

// Load returns addr's pin, if any.
func (m *MemoryStore) Load(addr string) (Pin, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pins[Key(addr)]
	return p, ok
}

// Pins returns a copy of every pin, by address.
func (m *MemoryStore) Pins() map[string]Pin {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := maps.Clone(m.pins)
	if out == nil {
		out = map[string]Pin{}
	}
	return out
}
