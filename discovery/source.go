package discovery

import (
	"context"
	"strings"
)

// Source lists candidate orchestrator addresses for a capability (nil: any).
// List and Endpoint are Sources here; a remote signer's
// /discover-orchestrators is one too (signer.NewSource). Implementations
// must be safe for concurrent use.
type Source interface {
	// Orchestrators returns addresses in the source's order of preference.
	Orchestrators(ctx context.Context, want *Capability) ([]string, error)
	// String names the source in logs and errors (no credentials).
	String() string
}

// ListSource is a fixed list of orchestrator addresses.
type ListSource struct{ addrs []string }

// List returns a Source of addrs: each is trimmed, blanks are dropped and
// the order is kept (no network call). The slice is copied.
func List(addrs []string) *ListSource {
	l := &ListSource{}
	for _, a := range addrs {
		if a = strings.TrimSpace(a); a != "" {
			l.addrs = append(l.addrs, a)
		}
	}
	return l
}

// Orchestrators returns a copy of the list; want is ignored (filtering
// happens on the GetOrchestrator answers). It never fails.
func (l *ListSource) Orchestrators(context.Context, *Capability) ([]string, error) {
	return append([]string(nil), l.addrs...), nil
}

// String returns "orchestrator list (N)".
func (l *ListSource) String() string {
	return "orchestrator list (" + itoa(len(l.addrs)) + ")"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
