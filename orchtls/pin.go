package orchtls

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Pin identifies a certificate's public key: "sha256/" followed by the
// standard base64 of the SHA-256 of its DER SubjectPublicKeyInfo (the
// form of HPKP's pin-sha256 and of curl's --pinnedpubkey). A certificate
// re-issued for the same key keeps its pin; a new key changes it.
type Pin string

const pinPrefix = "sha256/"

// PinOf returns cert's Pin.
func PinOf(cert *x509.Certificate) Pin {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return Pin(pinPrefix + base64.StdEncoding.EncodeToString(sum[:]))
}

// Valid reports whether p has the form PinOf produces.
func (p Pin) Valid() bool {
	b64, ok := strings.CutPrefix(string(p), pinPrefix)
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	return err == nil && len(raw) == sha256.Size
}

// Key returns the store key of a dial address: "host:port" with the host
// in lower case (IPv6 in brackets). An address without a port is returned
// lower-cased as it is.
func Key(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.ToLower(addr)
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// MismatchError is a handshake refused because the orchestrator at Addr
// presented a certificate whose key is not the one pinned for it.
// errors.Is(err, livepeer.ErrCertificateMismatch) holds.
type MismatchError struct {
	Addr      string // the dialled "host:port"
	Pinned    Pin    // the pin in the store
	Presented Pin    // the pin of the certificate presented
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("orchtls: orchestrator %s presented a TLS key (%s) that is not the one pinned for it (%s); "+
		"a go-livepeer orchestrator makes a new key at every restart: once you trust it, remove the pin (Store.Delete) and connect again",
		e.Addr, e.Presented, e.Pinned)
}

// Is matches livepeer.ErrCertificateMismatch.
func (e *MismatchError) Is(target error) bool { return target == lperr.ErrCertificateMismatch }
