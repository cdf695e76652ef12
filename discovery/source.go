package discovery

import (
	"context"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/signer"
)

// Source lists candidate orchestrator addresses for a capability (nil: any).
// Implementations must be safe for concurrent use.
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

// SignerSource asks a remote signer's GET /discover-orchestrators.
type SignerSource struct{ c *signer.Client }

// FromSigner returns a Source backed by the signer's discovery endpoint
// (go-livepeer signers serve it only with -remoteDiscovery). Its calls carry
// the signer headers.
func FromSigner(c *signer.Client) *SignerSource { return &SignerSource{c: c} }

// Orchestrators returns the signer's list for want, in the signer's order.
// The request carries one caps=pipeline/model parameter for want (none
// without a model). Errors are the signer client's (*signer.Error;
// errors.Is(err, ErrSignerUnavailable) when it is down).
func (s *SignerSource) Orchestrators(ctx context.Context, want *Capability) ([]string, error) {
	var keys []string
	if want != nil {
		keys = DiscoveryKeys(*want)
	}
	list, err := s.c.DiscoverOrchestrators(ctx, keys)
	if err != nil {
		return nil, err
	}
	addrs := make([]string, 0, len(list))
	for _, o := range list {
		addrs = append(addrs, o.Address)
	}
	return addrs, nil
}

// String returns "signer discovery <url>".
func (s *SignerSource) String() string {
	urls := s.c.URLs()
	if len(urls) == 0 {
		return "signer discovery (off-chain)"
	}
	return "signer discovery " + urls[0]
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
