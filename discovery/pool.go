package discovery

import (
	"context"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

// Defaults of PoolOptions (used for its zero fields).
const (
	// DefaultPoolGrace: a cold capability's first call waits this long
	// after the first qualifying answer for others to arrive.
	DefaultPoolGrace = 50 * time.Millisecond
	// DefaultPoolQuorum: ...or until this many qualifying answers arrived.
	DefaultPoolQuorum = 8
	// DefaultPoolMaxAge: an answer is refreshed at the latest this long
	// after it arrived. It is under go-livepeer's own periodic refresh of
	// live-video-to-video sessions (6 min, server/ai_session.go
	// startPeriodicRefresh, "to avoid Ticket Params Expired") and under the
	// 40 blocks × 12 s that ticket params last.
	DefaultPoolMaxAge = 5 * time.Minute
	// DefaultPoolIdleAfter: a capability asked for by no call for this long
	// is dropped from the pool (its refreshes stop).
	DefaultPoolIdleAfter = 15 * time.Minute
	// DefaultPoolBackoffMin and DefaultPoolBackoffMax bound the wait before
	// a failed orchestrator is probed again, and how long one that failed a
	// job stays demoted: the wait doubles with each consecutive failure.
	DefaultPoolBackoffMin = 5 * time.Second
	DefaultPoolBackoffMax = 5 * time.Minute
	// DefaultBlockTime is the L1 (Ethereum) block time the pool assumes
	// when it estimates how long ticket params stay valid.
	DefaultBlockTime = 12 * time.Second
)

// Protocol constants the pool's staleness rules follow.
const (
	// AuthRefreshMargin: an auth token is due for a refresh in its last
	// 3 minutes, the last 10 % of go-livepeer's 30-minute validity: the
	// remote signer answers 480 from then on (go-livepeer
	// server/broadcast.go shouldRefreshSession, authTokenValidPeriod in
	// server/rpc.go).
	AuthRefreshMargin = 3 * time.Minute
	// TicketParamsLifetime is how many L1 blocks ticket params stay valid
	// after the orchestrator issues them: ExpirationBlock = the
	// orchestrator's last seen L1 block + 40 (go-livepeer pm/recipient.go
	// paramsExpirationBlock). The pool reads the current block off fresh
	// answers with it.
	TicketParamsLifetime = 40
	// TicketParamsMargin: ticket params are due for a refresh once they
	// have this many blocks left or fewer. The signer refuses them at 1
	// (go-livepeer pm/sender.go validateTicketParams, paramsExpiryBuffer in
	// pm/recipient.go); one more block leaves time to use them.
	TicketParamsMargin = 2
)

// PoolOptions tunes a Pool. The zero value gives the defaults above.
// Negative durations or quorum are a *livepeer.ConfigError.
type PoolOptions struct {
	// Disabled turns the pool off: every call lists the source and asks
	// every orchestrator again, waiting for the slowest, and nothing is
	// remembered (the behaviour before the pool; no background work).
	Disabled bool
	// Grace and Quorum are the cold-start rule: the first call for a
	// capability returns once Quorum qualifying orchestrators have
	// answered, or Grace after the first one did, or when all have
	// answered, whichever comes first (defaults DefaultPoolGrace,
	// DefaultPoolQuorum).
	Grace  time.Duration
	Quorum int
	// MaxAge bounds the age of a cached answer (default
	// DefaultPoolMaxAge); the source is listed again as often.
	MaxAge time.Duration
	// IdleAfter drops a capability no call asked for in this long
	// (default DefaultPoolIdleAfter).
	IdleAfter time.Duration
	// BackoffMin and BackoffMax bound the backoff of failed orchestrators
	// (defaults DefaultPoolBackoffMin, DefaultPoolBackoffMax).
	BackoffMin time.Duration
	BackoffMax time.Duration
	// BlockTime is the assumed L1 block time (default DefaultBlockTime).
	BlockTime time.Duration
}

// withDefaults validates o and fills its zero fields.
func (o PoolOptions) withDefaults() (PoolOptions, error) {
	for _, f := range []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"Grace", &o.Grace, DefaultPoolGrace}, {"MaxAge", &o.MaxAge, DefaultPoolMaxAge},
		{"IdleAfter", &o.IdleAfter, DefaultPoolIdleAfter}, {"BackoffMin", &o.BackoffMin, DefaultPoolBackoffMin},
		{"BackoffMax", &o.BackoffMax, DefaultPoolBackoffMax}, {"BlockTime", &o.BlockTime, DefaultBlockTime},
	} {
		switch {
		case *f.d < 0:
			return o, &lperr.ConfigError{Field: "Pool." + f.name, Reason: "must not be negative"}
		case *f.d == 0:
			*f.d = f.def
		}
	}
	switch {
	case o.Quorum < 0:
		return o, &lperr.ConfigError{Field: "Pool.Quorum", Reason: "must not be negative"}
	case o.Quorum == 0:
		o.Quorum = DefaultPoolQuorum
	}
	if o.BackoffMax < o.BackoffMin {
		return o, &lperr.ConfigError{Field: "Pool.BackoffMax", Reason: "must not be below BackoffMin"}
	}
	return o, nil
}

// PoolConfig configures NewPool.
type PoolConfig struct {
	// Source lists the orchestrators (required).
	Source Source
	// Client asks them (required). The Pool does not close it.
	Client *Client
	// MaxPrice drops orchestrators priced above it, in wei per unit
	// (see Rank); nil: no ceiling.
	MaxPrice *big.Rat
	// Logger receives debug logs (default: silent).
	Logger *slog.Logger
	// OnUnreachable, when set, is called (outside the Pool's locks, at most
	// once per failure) with an orchestrator that stopped answering — a
	// GetOrchestrator or a job request that could not reach it — so the
	// caller can drop its own connections to it (transcoder is its service
	// URI, "" when unknown). The Pool drops the Client's itself.
	OnUnreachable func(addr, transcoder string)
	// Options tunes the pool.
	Options PoolOptions
}

// Pool is a live view of the orchestrators that serve each capability a
// program asks for: the GetOrchestrator answers (price, ticket params,
// auth token, capabilities and models, latency) and what the program saw
// of each orchestrator's health, kept fresh in the background.
//
// Keys. Entries are kept per (capability, model) as Capability holds them
// ("live-video-to-video/streamdiffusion", "text-to-image/<model>",
// "byoc/<name>"; nil for "no filter"): each key has its own GetOrchestrator
// requests (with that capability and model constraint, as go-livepeer's
// newAICapabilities in server/ai_session.go sends them), answers and health.
// A key is created by the first Select or Orchestrators call for it; a key
// never asked for costs nothing.
//
// Cold start. The first call for a key lists the Source, asks every
// orchestrator at once and returns when Options.Quorum qualifying answers
// arrived, or Options.Grace after the first one, or when all answered,
// whichever is first; the others keep answering in the background and join
// the key's ranking (a Selector also picks them up when it runs out of
// candidates, waiting for answers still pending rather than failing).
// Orchestrators waits for every answer of the first round instead.
//
// Refresh. An answer is refreshed in the background before the first of:
// Options.MaxAge after it arrived; its auth token entering its last
// AuthRefreshMargin (the signer's 480 point) — less a lead of MaxAge/10, at
// most 30 s and at most a quarter of its useful life; its ticket params getting within TicketParamsMargin blocks of
// ExpirationBlock, the current block being estimated from the newest
// answer (ExpirationBlock − TicketParamsLifetime) plus one block per
// Options.BlockTime — less the same lead. No refresh comes sooner than
// BackoffMin after the last one. When an answer shows the chain moved
// further than estimated, every cached answer whose ticket params this
// makes stale is refreshed at once. An answer past its due point is never
// handed out: Selector.Next refreshes it first (waiting for that one
// answer). A 480 from the signer (payment sessions call Refresh) and a
// rejected payment (Report) refresh the entry at once. The Source is
// listed again every MaxAge: new orchestrators are asked, gone ones are
// dropped.
//
// Claims. A payment session's tickets must not reuse the ticket params
// another session pays with (see Claim), so for every capability but BYOC
// an answer is handed out once: the entry is refreshed at once for the next
// caller. Refresh answers are the caller's own.
//
// Health. An orchestrator whose GetOrchestrator fails (no answer in time,
// refused connection, an error) is down: it is not a candidate, its
// connections are closed, and it is probed again after BackoffMin, doubling
// with each consecutive failure up to BackoffMax; the first good answer
// brings it back. One that fails a job in a way that is its own fault
// (Report: unreachable, a 5xx answer, a refused payment) is demoted for the
// same backoff: it ranks after every healthy orchestrator until then, so it
// is still tried when nothing else is left (go-livepeer's suspension keeps
// suspended orchestrators as a last resort too, discovery/discovery.go).
// Failures older than BackoffMax are forgotten. When every orchestrator of
// a key is down, a call probes them all again at once rather than waiting
// for their backoff.
//
// Close stops every background call and waits for them. A Pool is safe for
// concurrent use.
type Pool struct {
	src      Source
	client   *Client
	maxPrice *big.Rat
	log      *slog.Logger
	onDown   func(addr, transcoder string)
	opt      PoolOptions

	life   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	sets    map[poolKey]*capSet
	head    chainHead
	closed  bool
	started bool          // the scheduler runs
	wake    chan struct{} // nudges the scheduler (buffered, 1)
}

// NewPool returns a Pool. Nothing starts until the first call. A missing
// Source or Client or an invalid option gives a *livepeer.ConfigError.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if cfg.Source == nil {
		return nil, &lperr.ConfigError{Field: "Source", Reason: "required"}
	}
	if cfg.Client == nil {
		return nil, &lperr.ConfigError{Field: "Client", Reason: "required"}
	}
	opt, err := cfg.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pool{src: cfg.Source, client: cfg.Client, log: cfg.Logger, onDown: cfg.OnUnreachable, opt: opt,
		sets: map[poolKey]*capSet{}, wake: make(chan struct{}, 1)}
	if cfg.MaxPrice != nil {
		p.maxPrice = new(big.Rat).Set(cfg.MaxPrice)
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.life, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Options returns the options in use, defaults applied.
func (p *Pool) Options() PoolOptions { return p.opt }

// Select returns a failover cursor over the orchestrators that serve want
// (nil: any), best first (see Rank; orchestrators demoted for failures come
// after the others). It waits as the cold-start rule says on the first call
// for want and returns at once afterwards. The Selector reads the pool as
// it goes: Next refreshes an answer that became stale, Reject reports the
// failure to the pool (see Report), and when its candidates run out Next
// takes the ones that answered since, waiting for answers still pending.
//
// Errors: the Source's error when it cannot list (errors.Is
// livepeer.ErrSignerUnavailable or ErrDiscoveryUnavailable); the signer's
// error when it cannot sign the GetOrchestrator request; a
// *livepeer.NoOrchestratorError listing every rejection when no
// orchestrator qualifies; ctx.Err() wrapped when ctx ends first;
// livepeer.ErrClosed after Close.
func (p *Pool) Select(ctx context.Context, want *Capability) (*Selector, error) {
	if p.opt.Disabled {
		ranked, rejections, err := p.direct(ctx, want)
		if err != nil {
			return nil, err
		}
		return NewSelector(label(want), ranked, rejections), nil
	}
	s, err := p.gather(ctx, want, false)
	if err != nil {
		return nil, err
	}
	return newPoolSelector(p, s), nil
}

// Orchestrators returns the orchestrators that serve want (nil: any),
// ranked as Select hands them out, and the rejections (orchestrators down,
// filtered out by Rank, or whose answer is missing). On the first call for
// want it waits for every answer of the first round (each bounded by the
// Client's timeout); later calls answer from the pool, refreshing stale
// answers first. Errors are Select's.
func (p *Pool) Orchestrators(ctx context.Context, want *Capability) (ranked []*Info, rejections []Rejection, err error) {
	if p.opt.Disabled {
		return p.direct(ctx, want)
	}
	s, err := p.gather(ctx, want, true)
	if err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ranked, rejections, _ = p.snapshotLocked(s, nil)
	return ranked, rejections, nil
}

// Close stops the background work (refreshes, probes, listings still
// running are cancelled) and waits for it; later calls fail with
// livepeer.ErrClosed. It does not close the Client. Idempotent; returns nil.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for _, s := range p.sets {
		s.notifyLocked() // waiters see the pool closed
	}
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	return nil
}

// label names want in errors ("" for no filter).
func label(want *Capability) string {
	if want == nil {
		return ""
	}
	return want.String()
}
