package livepeertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"time"
)

// selfSignedCert makes a fresh ECDSA P-256 certificate valid for one year,
// with DNS SAN "localhost" and IP SAN 127.0.0.1, like go-livepeer's
// server/cert.go does at every start.
func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"livepeertest"}, CommonName: "localhost"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Certificate returns the TLS certificate the orchestrator presents to new
// connections (its public key is what orchtls pins).
func (o *Orchestrator) Certificate() *x509.Certificate { return o.cert.Load().Leaf }

// RotateCertificate makes the orchestrator present a new self-signed
// certificate with a new key to new connections, as a go-livepeer
// orchestrator does after a restart (server/cert.go makes a new key at
// every start). Connections already open keep the old one.
func (o *Orchestrator) RotateCertificate() error {
	cert, err := selfSignedCert()
	if err != nil {
		return err
	}
	o.cert.Store(&cert)
	return nil
}
