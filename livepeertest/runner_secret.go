package livepeertest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Sizes of go-livepeer's live-runner identifiers and secrets
// (ai/runner/live_runner.go).
const (
	runnerIDRandomBytes = 5  // "runner_" / "session_" + 8 base32 characters
	proxyIDRandomBytes  = 16 // 26 base32 characters
	runnerSeedBytes     = 32
	maxRunnerMetadata   = 1024
	maxRunnerChannels   = 25 // per channels callback (server/ai_http.go)
)

var runnerEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// runnerRandom returns n random bytes as lower-case unpadded base32.
func runnerRandom(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(runnerEncoding.EncodeToString(b))
}

func newRunnerSeed() []byte {
	b := make([]byte, runnerSeedBytes)
	_, _ = rand.Read(b)
	return b
}

// deriveRunnerSecret is go-livepeer's deriveSecret: lower-case unpadded
// base32 of HMAC-SHA256(seed, label). Labels: "heartbeat", "session:<id>",
// "trickle:o2r".
func deriveRunnerSecret(seed []byte, label string) string {
	m := hmac.New(sha256.New, seed)
	m.Write([]byte(label))
	return strings.ToLower(runnerEncoding.EncodeToString(m.Sum(nil)))
}

func validRunnerSecret(got, want string) bool {
	return hmac.Equal([]byte(got), []byte(want))
}
