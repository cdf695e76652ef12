package discovery

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseAddress checks an orchestrator address and returns its gRPC dial
// target "host:port". Accepted forms are "host:port", "[ipv6]:port" and
// "https://host[:port]" (port 443 when absent, an optional trailing "/").
// Any other scheme, a path, query, fragment or user info, a missing host or
// port, or a port outside 1-65535 gives an *AddressError
// (errors.Is(err, ErrInvalidAddress)).
func ParseAddress(addr string) (string, error) {
	s := strings.TrimSpace(addr)
	bad := func(reason string) (string, error) { return "", &AddressError{Addr: addr, Reason: reason} }
	if s == "" {
		return bad("empty")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return bad("contains spaces or control characters")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return bad("not a URL")
		}
		if !strings.EqualFold(u.Scheme, "https") {
			return bad("scheme must be https (orchestrators serve gRPC over TLS), got " + strconv.Quote(u.Scheme))
		}
		if u.User != nil {
			return bad("user info is not allowed")
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			return bad("path, query and fragment are not allowed")
		}
		host, port := u.Hostname(), u.Port()
		if host == "" {
			return bad("missing host")
		}
		if port == "" {
			if strings.HasSuffix(u.Host, ":") {
				return bad("empty port")
			}
			port = "443"
		}
		if !validPort(port) {
			return bad("port must be 1-65535")
		}
		return net.JoinHostPort(host, port), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return bad("want host:port or https://host:port")
	}
	if host == "" {
		return bad("missing host")
	}
	if strings.ContainsAny(host, "/?#@[]") {
		return bad("invalid host")
	}
	if !validPort(port) {
		return bad("port must be 1-65535")
	}
	return net.JoinHostPort(host, port), nil
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
	}
	n, _ := strconv.Atoi(p)
	return n >= 1 && n <= 65535
}
