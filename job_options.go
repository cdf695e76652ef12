package livepeer

import (
	"crypto/ecdsa"
	"net/http"
	"time"
)

// Defaults of the BYOC verbs Run and Stream.
const (
	// DefaultJobTimeout is the job's timeout_seconds when WithJobTimeout is
	// not given (the Python SDK's batch default). go-livepeer uses it as the
	// worker request timeout and ends a job's event stream after it.
	DefaultJobTimeout = 300 * time.Second
	// DefaultStreamIdleTimeout ends a Stream whose read waited this long for
	// bytes (keepalive comments count) with ErrStreamIdle.
	DefaultStreamIdleTimeout = 60 * time.Second
	// DefaultMaxResponseBytes bounds the body Run reads (64 MiB).
	DefaultMaxResponseBytes = 64 << 20
	// DefaultMaxEventBytes bounds one line and one event of a Stream (1 MiB).
	DefaultMaxEventBytes = 1 << 20
)

// RunOption tunes one Run or Stream call.
type RunOption func(*jobOptions)

type jobOptions struct {
	path          string
	timeout       time.Duration
	header        http.Header
	requestID     string
	contentType   string
	key           *ecdsa.PrivateKey
	idle          time.Duration
	maxEventBytes int
	maxBody       int64
}

func newJobOptions(opts []RunOption) *jobOptions {
	o := &jobOptions{timeout: DefaultJobTimeout, header: http.Header{}, idle: DefaultStreamIdleTimeout,
		maxEventBytes: DefaultMaxEventBytes, maxBody: DefaultMaxResponseBytes}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

// WithPath sets the worker sub-path: the job goes to
// POST {orchestrator}/process/request/{path} and the orchestrator forwards it
// to {worker url}/{path}. Default: none (the worker URL itself).
func WithPath(path string) RunOption { return func(o *jobOptions) { o.path = path } }

// WithJobTimeout sets the job's timeout_seconds (rounded up to whole
// seconds, at least 1). Run also gives up on its side a little after it.
func WithJobTimeout(d time.Duration) RunOption { return func(o *jobOptions) { o.timeout = d } }

// WithHeader adds a header to the job request (the orchestrator reads only
// its own headers and Content-Type; go-livepeer forwards no others to the
// worker).
func WithHeader(key, value string) RunOption {
	return func(o *jobOptions) { o.header.Add(key, value) }
}

// WithRequestID sets the job id (the header's id field); default: a random one.
func WithRequestID(id string) RunOption { return func(o *jobOptions) { o.requestID = id } }

// WithContentType sets the Content-Type of the body. Default:
// application/json for values encoded as JSON, application/octet-stream
// for []byte and io.Reader inputs.
func WithContentType(ct string) RunOption { return func(o *jobOptions) { o.contentType = ct } }

// WithSigningKey signs the job header and the Livepeer-Eth-Address header
// with key instead of the remote signer's /sign-byoc-job (or, off-chain,
// instead of a fresh key per job). Priced capabilities need the key's
// address to be the payer's, that is the signer's.
func WithSigningKey(key *ecdsa.PrivateKey) RunOption { return func(o *jobOptions) { o.key = key } }

// WithIdleTimeout sets how long a Stream may receive nothing before it
// ends with ErrStreamIdle (default DefaultStreamIdleTimeout; a negative
// value disables it). Run ignores it.
func WithIdleTimeout(d time.Duration) RunOption { return func(o *jobOptions) { o.idle = d } }

// WithMaxEventBytes bounds one line and one event of a Stream (default
// DefaultMaxEventBytes); a larger one ends the stream with an error.
func WithMaxEventBytes(n int) RunOption { return func(o *jobOptions) { o.maxEventBytes = n } }

// WithMaxResponseBytes bounds the body Run reads (default DefaultMaxResponseBytes).
func WithMaxResponseBytes(n int64) RunOption { return func(o *jobOptions) { o.maxBody = n } }
