package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/liverun"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/web"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// appConfig is what the flags set.
type appConfig struct {
	Addr            string
	BaseURL         string // default http://<listen address>
	DB              string // default a SQLite file in the user config dir
	Token           string // gateway token: upstream signer, headers, discovery
	Signer          string // upstream signer URL (overrides the token's)
	SignerHeaders   map[string]string
	Discovery       string
	Secret          string // hex or text, ≥ 32 bytes; default: a file next to the SQLite DB
	TrialBudgetWei  *big.Int
	OIDC            *web.OIDCConfig
	BcryptCost      int
	SignInLimit     int
	Logger          *slog.Logger
	NetworkPriceSD  int64 // in-process network prices, wei per pixel
	NetworkPriceXL  int64
	ReservationTTL  time.Duration
	DisableLiveRuns bool
	// LivePaymentInterval is how often runs pay (default the SDK's 5 s).
	LivePaymentInterval time.Duration
	// Now is the hosted signer's clock (default time.Now; tests move it on).
	Now func() time.Time
}

// app is a running playground.
type app struct {
	URL   string
	Store *store.Store
	Web   *web.Server
	Net   *livepeertest.Network // nil with a real signer
	// FFmpegMissing: the in-process network runs but ffmpeg is not in PATH,
	// so its pipelines (and every run) fail.
	FFmpegMissing bool
	// DB is where the database is (a file path, or the PostgreSQL URL
	// without its password).
	DB     string
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
	cancel context.CancelFunc
}

// defaultDB is a SQLite file in the user's config directory (or temp dir).
func defaultDB() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "livepeer-playground")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "playground.db")
}

// describeDB says where the database is for the start-up line: the SQLite
// file's absolute path, or the PostgreSQL URL with its password removed.
func describeDB(db string) string {
	if strings.HasPrefix(db, "postgres") {
		if u, err := url.Parse(db); err == nil {
			if u.User != nil {
				u.User = url.User(u.User.Username())
			}
			return u.String()
		}
		return "PostgreSQL"
	}
	path := strings.TrimPrefix(strings.TrimPrefix(db, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if abs, err := filepath.Abs(path); err == nil && path != ":memory:" {
		return abs
	}
	return path
}

// loadSecret returns cfg's secret, or one kept in a 0600 file beside a
// SQLite database (made on first start) so sessions and signer states
// survive restarts.
func loadSecret(cfg appConfig) ([]byte, error) {
	if cfg.Secret != "" {
		if b, err := hex.DecodeString(cfg.Secret); err == nil && len(b) >= 32 {
			return b, nil
		}
		if len(cfg.Secret) < 32 {
			return nil, errors.New("-secret must be at least 32 characters (or 64 hex digits)")
		}
		return []byte(cfg.Secret), nil
	}
	if strings.HasPrefix(cfg.DB, "postgres") {
		return nil, errors.New("-secret (or PLAYGROUND_SECRET) is required with PostgreSQL, so every instance shares it")
	}
	path := strings.TrimPrefix(strings.TrimPrefix(cfg.DB, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == ":memory:" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return b, nil
	}
	file := path + ".secret"
	if b, err := os.ReadFile(file); err == nil {
		if k, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil && len(k) >= 32 {
			return k, nil
		}
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	if err := os.WriteFile(file, []byte(hex.EncodeToString(k)), 0o600); err != nil {
		return nil, fmt.Errorf("writing the server secret: %w", err)
	}
	return k, nil
}

// startApp opens the database, starts the in-process network unless a real
// signer is configured, and serves the playground.
func startApp(ctx context.Context, cfg appConfig) (_ *app, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DB == "" {
		cfg.DB = defaultDB()
	}
	if cfg.TrialBudgetWei == nil || !cfg.TrialBudgetWei.IsInt64() || cfg.TrialBudgetWei.Sign() < 0 {
		return nil, errors.New("-trial-budget must be between 0 and 9.2 ETH")
	}
	secret, err := loadSecret(cfg)
	if err != nil {
		return nil, err
	}
	a := &app{done: make(chan struct{})}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	upSigner, upHeaders, upDiscovery := cfg.Signer, cfg.SignerHeaders, cfg.Discovery
	if cfg.Token != "" {
		t, err := livepeer.ParseToken(cfg.Token)
		if err != nil {
			return nil, err
		}
		if upSigner == "" {
			upSigner, upHeaders = t.Signer, t.SignerHeaders
		}
		if upDiscovery == "" {
			upDiscovery = t.Discovery
		}
	}
	if upSigner == "" {
		a.Net, err = startNetwork(cfg)
		if err != nil {
			return nil, fmt.Errorf("starting the in-process network: %w", err)
		}
		upSigner, upDiscovery = a.Net.SignerURL(), a.Net.DiscoveryURL()
		_, lerr := exec.LookPath("ffmpeg")
		a.FFmpegMissing = lerr != nil
	}
	a.DB = describeDB(cfg.DB)
	a.Store, err = store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if cfg.ReservationTTL <= 0 {
		cfg.ReservationTTL = 5 * time.Minute
	}
	if _, err := a.Store.SweepReservations(ctx, cfg.ReservationTTL); err != nil {
		return nil, err
	}
	a.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	a.URL = "http://" + a.ln.Addr().String()
	base := cfg.BaseURL
	if base == "" {
		base = a.URL
	}
	// On the in-process network the price is ours: budget estimates can
	// use it before the first payment (what go-livepeer bills per second of
	// lv2v: 1280×720×30 px at the StreamDiffusion price).
	var rateHint *big.Rat
	if a.Net != nil {
		sd := cfg.NetworkPriceSD
		if sd <= 0 {
			sd = defaultPriceSD
		}
		rateHint = big.NewRat(sd*1280*720*30, 1)
	}
	var runner web.Runner
	if !cfg.DisableLiveRuns {
		runner = &liverun.Runner{Logger: cfg.Logger, PaymentInterval: cfg.LivePaymentInterval}
	}
	a.Web, err = web.New(ctx, web.Config{
		Store: a.Store, BaseURL: base, Secret: secret,
		UpstreamSigner: upSigner, UpstreamHeaders: upHeaders, UpstreamDiscovery: upDiscovery,
		TrialCapWei: cfg.TrialBudgetWei.Int64(), BcryptCost: cfg.BcryptCost, SignInLimit: cfg.SignInLimit,
		OIDC: cfg.OIDC, Runner: runner, Logger: cfg.Logger, Now: cfg.Now,
		Simulated: a.Net != nil, FFmpegMissing: a.FFmpegMissing, RateHint: rateHint,
	})
	if err != nil {
		return nil, err
	}
	a.srv = &http.Server{Handler: a.Web, ReadHeaderTimeout: 10 * time.Second}
	sweepCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() {
		defer close(a.done)
		go func() { // release reservations a lost request left behind
			t := time.NewTicker(time.Minute)
			defer t.Stop()
			for {
				select {
				case <-sweepCtx.Done():
					return
				case <-t.C:
					_, _ = a.Store.SweepReservations(sweepCtx, cfg.ReservationTTL)
				}
			}
		}()
		_ = a.srv.Serve(a.ln)
	}()
	return a, nil
}

// defaultPriceSD is the in-process network's StreamDiffusion price, in wei
// per pixel (about 5.5e-8 ETH per second of lv2v).
const defaultPriceSD = 2000

// startNetwork runs the SDK's in-process network with StreamDiffusion
// priced so a first payment is a few tickets and a trial lasts hours.
func startNetwork(cfg appConfig) (*livepeertest.Network, error) {
	sd, xl := cfg.NetworkPriceSD, cfg.NetworkPriceXL
	if sd <= 0 {
		sd = defaultPriceSD
	}
	if xl <= 0 {
		xl = 2 * sd
	}
	return livepeertest.NewNetwork(livepeertest.NetworkConfig{
		Orchestrators: 2,
		Capabilities: []livepeertest.CapabilitySpec{
			{Name: "live-video-to-video/streamdiffusion", PricePerUnit: sd, PixelsPerUnit: 1, Capacity: 8},
			{Name: "live-video-to-video/streamdiffusion-sdxl", PricePerUnit: xl, PixelsPerUnit: 1, Capacity: 8},
		},
	})
}

// Close stops the server, the runs, the network and the database.
func (a *app) Close() {
	if a.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = a.srv.Shutdown(ctx)
		cancel()
		if a.cancel != nil {
			a.cancel()
		}
		<-a.done
	} else if a.ln != nil {
		_ = a.ln.Close()
	}
	if a.Web != nil {
		_ = a.Web.Close()
	}
	if a.Net != nil {
		a.Net.Close()
	}
	if a.Store != nil {
		_ = a.Store.Close()
	}
}
