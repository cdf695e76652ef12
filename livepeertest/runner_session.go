package livepeertest

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// regSession is one reserved session, guarded by RunnerRegistry.mu.
type regSession struct {
	createdAt time.Time
	priceInfo RunnerPrice              // the runner's registration price at reserve time
	channels  map[string]runnerChannel // by name
	proxies   map[string]string        // proxy id → target URL
	stop      context.CancelFunc       // ends the session's payment monitor (nil if none)
	charges   int                      // successful interval charges
}

// reserve is go-livepeer's ReserveSession: it returns the session id and
// the URL its caller uses (public app URL for persistent runners, the
// runner's own URL for single-shot forwarding).
func (r *RunnerRegistry) reserve(route, sessionID string) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, err := r.runnerLocked(route)
	if err != nil {
		return "", "", err
	}
	if !rr.ready() {
		return "", "", errRunnerNotFound()
	}
	if sessionID != "" {
		if _, ok := rr.sessions[sessionID]; ok {
			return "", "", &runnerError{http.StatusConflict, "session already exists"}
		}
	}
	if len(rr.sessions) >= rr.req.Capacity {
		return "", "", &runnerError{http.StatusServiceUnavailable, "no capacity available for runner"}
	}
	for sessionID == "" || rr.sessions[sessionID] != nil {
		sessionID = "session_" + runnerRandom(runnerIDRandomBytes)
	}
	s := &regSession{createdAt: time.Now(), priceInfo: rr.req.PriceInfo, channels: map[string]runnerChannel{}, proxies: map[string]string{}}
	appURL := r.o.URL() + "/apps/" + url.PathEscape(rr.route) + "/session/" + url.PathEscape(sessionID) + "/app"
	if rr.req.Mode == runnerModeSingleShot {
		appURL = rr.req.RunnerURL
	} else if rr.req.Proxy {
		p, err := r.newProxyLocked(rr, s, "")
		if err != nil {
			return "", "", err
		}
		appURL = p.URL
	}
	rr.sessions[sessionID] = s
	rr.o2r.sessionEvent("reserved", sessionID)
	r.log.Debug("livepeertest: live runner session reserved", "runner_id", rr.req.RunnerID, "session_id", sessionID)
	return sessionID, appURL, nil
}

// release is go-livepeer's ReleaseSession: 404 only for an unknown or
// expired runner; releasing a session that is gone is not an error.
func (r *RunnerRegistry) release(route, sessionID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, err := r.runnerLocked(route)
	if err != nil {
		return err
	}
	r.releaseLocked(rr, sessionID)
	return nil
}

// releaseLocked is go-livepeer's releaseSessionLocked: a "released" event on
// the O2R channel, the session's trickle channels closed, its proxies gone.
func (r *RunnerRegistry) releaseLocked(rr *regRunner, sessionID string) {
	s := rr.sessions[sessionID]
	if s == nil {
		return
	}
	rr.o2r.sessionEvent("released", sessionID)
	for _, c := range s.channels {
		_ = r.ls.trickle.CloseChannel(c.ChannelName)
	}
	if s.stop != nil {
		s.stop()
	}
	delete(rr.sessions, sessionID)
	r.log.Debug("livepeertest: live runner session released", "runner_id", rr.req.RunnerID, "session_id", sessionID, "duration", time.Since(s.createdAt))
}

// sessionIDsLocked lists the runner's sessions by creation time (ties by id).
func (rr *regRunner) sessionIDsLocked() []string {
	ids := make([]string, 0, len(rr.sessions))
	for id := range rr.sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := rr.sessions[ids[i]].createdAt, rr.sessions[ids[j]].createdAt
		if a.Equal(b) {
			return ids[i] < ids[j]
		}
		return a.Before(b)
	})
	return ids
}

// readyRunner returns a ready runner (go-livepeer RunnerMode /
// PaymentInfo / RunnerEndpointForSession preamble): 404 otherwise.
func (r *RunnerRegistry) readyRunnerLocked(route string) (*regRunner, error) {
	rr, err := r.runnerLocked(route)
	if err != nil {
		return nil, err
	}
	if !rr.ready() {
		return nil, errRunnerNotFound()
	}
	return rr, nil
}

// sessionLocked is go-livepeer's liveRunnerSessionLocked (plus the lookup).
func (r *RunnerRegistry) sessionLocked(route, sessionID string) (*regRunner, *regSession, error) {
	rr, err := r.readyRunnerLocked(route)
	if err != nil {
		return nil, nil, err
	}
	s := rr.sessions[sessionID]
	if s == nil {
		return nil, nil, errSessionNotFound()
	}
	return rr, s, nil
}

// mode is go-livepeer's RunnerMode.
func (r *RunnerRegistry) mode(route string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, err := r.readyRunnerLocked(route)
	if err != nil {
		return "", err
	}
	return rr.req.Mode, nil
}

// paymentInfo is go-livepeer's PaymentInfo: nil off-chain, else the wei
// price (503 when it cannot be converted).
func (r *RunnerRegistry) paymentInfo(route string) (*RunnerPrice, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, err := r.readyRunnerLocked(route)
	if err != nil {
		return nil, err
	}
	if r.o.offchain {
		return nil, nil
	}
	p, err := weiPrice(rr.req.PriceInfo, r.cfg.USDPerETH)
	if err != nil {
		return nil, &runnerError{http.StatusServiceUnavailable, "live runner price unavailable: " + err.Error()}
	}
	return &p, nil
}

// sessionTarget returns what the proxy needs for a live session: the
// runner URL and the session token (go-livepeer RunnerEndpointForSession +
// SessionTokenForSession).
func (r *RunnerRegistry) sessionTarget(route, sessionID string) (endpoint, token string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, _, err := r.sessionLocked(route, sessionID)
	if err != nil {
		return "", "", err
	}
	return rr.req.RunnerURL, rr.sessionToken(sessionID), nil
}

// checkToken is go-livepeer's ValidSessionToken.
func (r *RunnerRegistry) checkToken(route, sessionID, token string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, _, err := r.sessionLocked(route, sessionID)
	if err != nil {
		return err
	}
	if !validRunnerSecret(token, rr.sessionToken(sessionID)) {
		return &runnerError{http.StatusUnauthorized, "invalid authorization"}
	}
	return nil
}

var runnerChannelName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// normalizeChannelName is go-livepeer's normalizeTrickleChannelName.
func normalizeChannelName(sessionID, name string) (string, string, error) {
	name = strings.ReplaceAll(strings.TrimSpace(name), "/", "-")
	if name == "" {
		return "", "", &runnerError{http.StatusBadRequest, "trickle channel name is required"}
	}
	if !runnerChannelName.MatchString(name) {
		return "", "", &runnerError{http.StatusBadRequest, "trickle channel name may only contain alphanumerics, underscores, or hyphens"}
	}
	return name, sessionID + "-" + name, nil
}

// createChannel is go-livepeer's CreateTrickleChannel: idempotent by name,
// default MIME application/octet-stream, url on the public address and
// internal_url on the runner-facing one.
func (r *RunnerRegistry) createChannel(route, sessionID, name, mime string) (runnerChannel, error) {
	name, channelName, err := normalizeChannelName(sessionID, name)
	if err != nil {
		return runnerChannel{}, err
	}
	if strings.TrimSpace(mime) == "" {
		mime = "application/octet-stream"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, s, err := r.sessionLocked(route, sessionID)
	if err != nil {
		return runnerChannel{}, err
	}
	if c, ok := s.channels[name]; ok {
		return c, nil
	}
	if err := r.ls.trickle.CreateChannel(channelName, mime); err != nil {
		return runnerChannel{}, err
	}
	c := runnerChannel{
		Name: name, ChannelName: channelName, MimeType: mime,
		URL: r.o.URL() + tricklePath + channelName, InternalURL: r.runnerURI() + tricklePath + channelName,
	}
	s.channels[name] = c
	return c, nil
}

// deleteChannel is go-livepeer's DeleteTrickleChannel.
func (r *RunnerRegistry) deleteChannel(route, sessionID, name string) error {
	name, _, err := normalizeChannelName(sessionID, name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, s, err := r.sessionLocked(route, sessionID)
	if err != nil {
		return err
	}
	c, ok := s.channels[name]
	if !ok {
		return &runnerError{http.StatusNotFound, "trickle channel not found"}
	}
	_ = r.ls.trickle.CloseChannel(c.ChannelName)
	delete(s.channels, name)
	return nil
}

// createProxy is go-livepeer's CreateSessionProxy.
func (r *RunnerRegistry) createProxy(route, sessionID, target string) (runnerProxy, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rr, s, err := r.sessionLocked(route, sessionID)
	if err != nil {
		return runnerProxy{}, err
	}
	return r.newProxyLocked(rr, s, target)
}

// newProxyLocked is go-livepeer's createSessionProxyLocked: the target is
// the runner URL, or target_url on the same host (any port and path).
func (r *RunnerRegistry) newProxyLocked(rr *regRunner, s *regSession, target string) (runnerProxy, error) {
	runnerURL, err := url.ParseRequestURI(rr.req.RunnerURL)
	if err != nil || runnerURL.Hostname() == "" {
		return runnerProxy{}, &runnerError{http.StatusBadGateway, "invalid registered runner_url"}
	}
	t := runnerURL
	if strings.TrimSpace(target) != "" {
		if t, err = normalizeProxyTarget(target); err != nil {
			return runnerProxy{}, err
		}
		if !strings.EqualFold(t.Hostname(), runnerURL.Hostname()) {
			return runnerProxy{}, &runnerError{http.StatusBadRequest, "target_url hostname must match registered runner_url hostname"}
		}
	}
	id := runnerRandom(proxyIDRandomBytes)
	for s.proxies[id] != "" {
		id = runnerRandom(proxyIDRandomBytes)
	}
	s.proxies[id] = t.String()
	return runnerProxy{ProxyID: id, URL: r.proxyURL(id)}, nil
}

// proxyURL fills go-livepeer's default proxy template {service}/run/{proxy}.
func (r *RunnerRegistry) proxyURL(id string) string { return r.o.URL() + "/run/" + url.PathEscape(id) }

// normalizeProxyTarget is go-livepeer's normalizeProxyTargetURL.
func normalizeProxyTarget(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.ParseRequestURI(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, &runnerError{http.StatusBadRequest, "target_url must be an absolute URL"}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &runnerError{http.StatusBadRequest, "target_url scheme must be http or https"}
	}
	if u.Fragment != "" {
		return nil, &runnerError{http.StatusBadRequest, "target_url must not include a fragment"}
	}
	return u, nil
}

// proxyRoute is a resolved /run/{proxy} URL (go-livepeer LiveRunnerProxyRoute).
type proxyRoute struct {
	route, sessionID, token, target string
	singleShot                      bool // forward to /apps/{proxy}/app/...
}

// resolveProxy is go-livepeer's ResolveSessionProxy for the default path
// template: a session proxy of a ready runner, else a proxy-enabled
// single-shot runner whose route is the id, else 404.
func (r *RunnerRegistry) resolveProxy(id string) (proxyRoute, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for route, rr := range r.runners {
		if rr.route != route || rr.removed || r.expiredLocked(rr, now) || !rr.ready() {
			continue
		}
		for sid, s := range rr.sessions {
			if t, ok := s.proxies[id]; ok {
				return proxyRoute{route: rr.route, sessionID: sid, token: rr.sessionToken(sid), target: t}, nil
			}
		}
	}
	if rr := r.runners[id]; rr != nil && !rr.removed && rr.req.Proxy && rr.req.Mode == runnerModeSingleShot {
		return proxyRoute{singleShot: true}, nil
	}
	return proxyRoute{}, &runnerError{http.StatusNotFound, "live runner proxy not found"}
}
