package livepeer

import (
	"crypto/ecdsa"
	"fmt"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// Defaults of the per-call options.
const (
	// DefaultJobTimeout is a Run or Stream job's timeout_seconds when
	// WithTimeout is not given (the Python SDK's batch default). go-livepeer
	// uses it as the worker request timeout and ends a job's event stream
	// after it.
	DefaultJobTimeout = 300 * time.Second
	// DefaultStreamIdleTimeout ends a Stream whose read waited this long
	// for bytes (keepalive comments count) with ErrStreamIdle.
	DefaultStreamIdleTimeout = 60 * time.Second
	// DefaultMaxResponseBytes bounds the body Run reads (64 MiB).
	DefaultMaxResponseBytes = 64 << 20
	// DefaultMaxEventBytes bounds one line and one event of a Stream (1 MiB).
	DefaultMaxEventBytes = 1 << 20
	// DefaultLivePaymentInterval is how often a live session pays
	// (go-livepeer's -livePaymentInterval).
	DefaultLivePaymentInterval = 5 * time.Second
	// DefaultKeepaliveInterval is how often {"keep":"alive"} goes on a live
	// session's control channel (go-livepeer's gateway sends one every 10 s).
	DefaultKeepaliveInterval = 10 * time.Second
)

// verb names the calls an option applies to.
type verb uint8

const (
	verbRun verb = 1 << iota
	verbStream
	verbLive
	verbReserve
)

func (v verb) String() string {
	switch v {
	case verbRun:
		return "Run"
	case verbStream:
		return "Stream"
	case verbReserve:
		return "Reserve"
	}
	return "Live"
}

// CallOption tunes one Run, Stream or Live call. The same type serves the
// three verbs; an option that makes no sense for the call it is given to
// (WithIdleTimeout on Run, WithStreamID on Stream, WithTimeout on a
// live-video-to-video Live...) makes the call fail with a *ConfigError
// naming the option, as does an invalid value. The zero CallOption does
// nothing.
type CallOption struct {
	name  string
	verbs verb
	set   func(*callOptions) error
}

// callOptions are the resolved per-call settings.
type callOptions struct {
	set map[string]bool // names of the options given

	timeout         time.Duration
	requestID       string
	streamID        string
	contentType     string
	path            string
	key             *ecdsa.PrivateKey
	idle            time.Duration
	maxEventBytes   int
	maxBody         int64
	paymentInterval time.Duration
	keepalive       time.Duration
	startTimeout    time.Duration
	videoIn         bool
	videoOut        bool
	dataOut         bool
	runnerFilter    liverunner.Filter
	runnerWarn      func(RunnerWarning)
}

// resolveOptions applies opts for verb v over the defaults.
func resolveOptions(v verb, opts []CallOption) (*callOptions, error) {
	o := &callOptions{
		set: map[string]bool{}, timeout: DefaultJobTimeout, idle: DefaultStreamIdleTimeout,
		maxEventBytes: DefaultMaxEventBytes, maxBody: DefaultMaxResponseBytes,
		paymentInterval: DefaultLivePaymentInterval, keepalive: DefaultKeepaliveInterval,
		videoIn: true, videoOut: true,
	}
	for _, opt := range opts {
		if opt.set == nil {
			continue
		}
		if opt.verbs&v == 0 {
			return nil, &ConfigError{Field: opt.name, Reason: fmt.Sprintf("does not apply to %s", v)}
		}
		if err := opt.set(o); err != nil {
			return nil, err
		}
		o.set[opt.name] = true
	}
	return o, nil
}

// refuse fails when one of the named options was given: for options that
// apply to only one capability kind of a verb (kind names the other).
func (o *callOptions) refuse(kind string, names ...string) error {
	for _, n := range names {
		if o.set[n] {
			return &ConfigError{Field: n, Reason: "does not apply to " + kind}
		}
	}
	return nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return &ConfigError{Field: name, Reason: "must be positive"}
	}
	return nil
}

// WithTimeout sets the job's timeout_seconds (rounded up to whole seconds,
// at least 1): go-livepeer's worker request timeout, and the end of a job's
// event stream. Run also gives up on its side a little after it. Default
// DefaultJobTimeout for Run and Stream, 30 s for a BYOC Live stream. Run,
// Stream, Live (byoc/<name> only).
func WithTimeout(d time.Duration) CallOption {
	return CallOption{"WithTimeout", verbRun | verbStream | verbLive, func(o *callOptions) error {
		o.timeout = d
		return positive("WithTimeout", d)
	}}
}

// WithRequestID sets the request id: the BYOC job id (the header's id and
// request_id; default a random one) for Run and Stream, the
// gateway_request_id of a live-video-to-video start for Live.
func WithRequestID(id string) CallOption {
	return CallOption{"WithRequestID", verbRun | verbStream | verbLive, func(o *callOptions) error {
		if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "\r\n") {
			return &ConfigError{Field: "WithRequestID", Reason: "must be non-empty, without line breaks"}
		}
		o.requestID = id
		return nil
	}}
}

// WithStreamID names a live stream: the stream_id of a live-video-to-video
// start, the stream id of a BYOC stream (unique; default a random one).
// Live.
func WithStreamID(id string) CallOption {
	return CallOption{"WithStreamID", verbLive, func(o *callOptions) error {
		if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#\r\n") {
			return &ConfigError{Field: "WithStreamID", Reason: "must be non-empty, without '/', '?', '#' or line breaks"}
		}
		o.streamID = id
		return nil
	}}
}

// WithContentType sets the Content-Type of the job body. Default:
// application/json for inputs encoded as JSON, application/octet-stream for
// []byte and io.Reader inputs. Run, Stream.
func WithContentType(ct string) CallOption {
	return CallOption{"WithContentType", verbRun | verbStream, func(o *callOptions) error {
		if ct == "" || checkHeaders(map[string]string{"Content-Type": ct}) != nil {
			return &ConfigError{Field: "WithContentType", Reason: "must be a valid, non-empty header value"}
		}
		o.contentType = ct
		return nil
	}}
}

// WithPath sets the worker sub-path: the job goes to POST
// {orchestrator}/process/request/{path} and the orchestrator forwards it
// to {worker url}/{path}. Default: the worker URL itself. Run, Stream.
func WithPath(path string) CallOption {
	return CallOption{"WithPath", verbRun | verbStream, func(o *callOptions) error {
		if strings.ContainsAny(path, "?#\r\n ") {
			return &ConfigError{Field: "WithPath", Reason: "must be a URL path without query, fragment or spaces"}
		}
		o.path = path
		return nil
	}}
}

// WithSigningKey signs this call's BYOC job header (and the
// Livepeer-Eth-Address header) with key instead of Config.SigningKey or
// the remote signer. Priced capabilities need the key's address to be the
// payer's, that is the signer's. Run, Stream, Live (byoc/<name> only).
func WithSigningKey(key *ecdsa.PrivateKey) CallOption {
	return CallOption{"WithSigningKey", verbRun | verbStream | verbLive, func(o *callOptions) error {
		if !eth.IsKey(key) {
			return &ConfigError{Field: "WithSigningKey", Reason: "must be a secp256k1 private key (eth.GenerateKey, eth.ParseKey)"}
		}
		o.key = key
		return nil
	}}
}

// WithIdleTimeout sets how long a Stream may receive nothing before it ends
// with ErrStreamIdle (default DefaultStreamIdleTimeout; a negative value
// disables it). Stream.
func WithIdleTimeout(d time.Duration) CallOption {
	return CallOption{"WithIdleTimeout", verbStream, func(o *callOptions) error {
		if d == 0 {
			return &ConfigError{Field: "WithIdleTimeout", Reason: "must not be 0 (negative disables it)"}
		}
		o.idle = d
		return nil
	}}
}

// WithMaxEventBytes bounds one line and one event of a Stream (default
// DefaultMaxEventBytes); a larger one ends the stream with an error. Stream.
func WithMaxEventBytes(n int) CallOption {
	return CallOption{"WithMaxEventBytes", verbStream, func(o *callOptions) error {
		if n <= 0 {
			return &ConfigError{Field: "WithMaxEventBytes", Reason: "must be positive"}
		}
		o.maxEventBytes = n
		return nil
	}}
}

// WithMaxResponseBytes bounds the body Run reads (default
// DefaultMaxResponseBytes); a larger answer fails. Run.
func WithMaxResponseBytes(n int64) CallOption {
	return CallOption{"WithMaxResponseBytes", verbRun, func(o *callOptions) error {
		if n <= 0 {
			return &ConfigError{Field: "WithMaxResponseBytes", Reason: "must be positive"}
		}
		o.maxBody = n
		return nil
	}}
}

// WithPaymentInterval sets how often a live session pays, on a timer
// whether or not output arrives (default DefaultLivePaymentInterval; for a
// live-runner session liverunner.DefaultPaymentInterval, below the
// orchestrator's 5 s). Live, Reserve, and Run/Stream on a runner app.
func WithPaymentInterval(d time.Duration) CallOption {
	return CallOption{"WithPaymentInterval", verbLive | verbReserve | verbRun | verbStream, func(o *callOptions) error {
		o.paymentInterval = d
		return positive("WithPaymentInterval", d)
	}}
}

// WithKeepaliveInterval sets how often {"keep":"alive"} goes on a live
// session's control channel (default DefaultKeepaliveInterval; a negative
// value disables it). Live.
func WithKeepaliveInterval(d time.Duration) CallOption {
	return CallOption{"WithKeepaliveInterval", verbLive, func(o *callOptions) error {
		if d == 0 {
			return &ConfigError{Field: "WithKeepaliveInterval", Reason: "must not be 0 (negative disables it)"}
		}
		o.keepalive = d
		return nil
	}}
}

// WithStartTimeout bounds each orchestrator's start of a live session
// (default: Config.RequestTimeout). Live.
func WithStartTimeout(d time.Duration) CallOption {
	return CallOption{"WithStartTimeout", verbLive, func(o *callOptions) error {
		o.startTimeout = d
		return positive("WithStartTimeout", d)
	}}
}

// WithBYOCChannels chooses a BYOC stream's channels: its input video
// (default on), output video (default on) and data output (default off);
// control and events are always there. Live (byoc/<name> only).
func WithBYOCChannels(videoIngress, videoEgress, dataOutput bool) CallOption {
	return CallOption{"WithBYOCChannels", verbLive, func(o *callOptions) error {
		o.videoIn, o.videoOut, o.dataOut = videoIngress, videoEgress, dataOutput
		return nil
	}}
}

// WithRunnerFilter narrows the live runners a call may use (mode,
// version, GPU, free capacity, a price ceiling: see liverunner.Filter); its
// App, when set, must be the call's app. Reserve, Run/Stream on a runner
// app, Live on live-video-to-video/scope.
func WithRunnerFilter(f liverunner.Filter) CallOption {
	return CallOption{"WithRunnerFilter", verbReserve | verbRun | verbStream | verbLive, func(o *callOptions) error {
		if f.MinVRAMMB < 0 || f.MinAvailable < 0 {
			return &ConfigError{Field: "WithRunnerFilter", Reason: "MinVRAMMB and MinAvailable must not be negative"}
		}
		if f.MaxPrice != nil {
			if _, err := f.MaxPrice.PaymentType(); err != nil || f.MaxPrice.Wei == nil || f.MaxPrice.Wei.Sign() <= 0 {
				return &ConfigError{Field: "WithRunnerFilter", Reason: "MaxPrice needs a positive Wei and a unit (seconds, 720p-pixel-seconds or fixed)"}
			}
		}
		o.runnerFilter = f
		return nil
	}}
}

// WithRunnerWarnings receives the warnings of a live-runner session
// (payments failing while it rides on prepaid time, and their recovery;
// see liverunner.Warning), called from the session's payment goroutine.
// Reserve, Run/Stream on a runner app, Live on live-video-to-video/scope.
func WithRunnerWarnings(f func(RunnerWarning)) CallOption {
	return CallOption{"WithRunnerWarnings", verbReserve | verbRun | verbStream | verbLive, func(o *callOptions) error {
		if f == nil {
			return &ConfigError{Field: "WithRunnerWarnings", Reason: "needs a function"}
		}
		o.runnerWarn = f
		return nil
	}}
}
