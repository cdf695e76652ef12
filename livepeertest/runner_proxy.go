package livepeertest

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// Headers the orchestrator injects into every request it proxies to a
// runner, overwriting any a client sent (go-livepeer proxyLiveRunner).
const (
	RunnerRouteHeader    = "Livepeer-Runner-Route"
	SessionIDHeader      = "Livepeer-Session-Id"
	SessionControlHeader = "Livepeer-Session-Control"
)

// handleSessionProxy is ANY /apps/{runner_id}/session/{session_id}/app/{app_path...}
// (ProxyLiveRunnerSession).
func (r *RunnerRegistry) handleSessionProxy(w http.ResponseWriter, req *http.Request) {
	route, sid := req.PathValue("runner_id"), req.PathValue("session_id")
	endpoint, token, err := r.sessionTarget(route, sid)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	r.proxy(w, req, route, sid, token, endpoint, req.PathValue("app_path"))
}

// handleSingleShot is ANY /apps/{runner_id}/app/{app_path...}
// (ProxyLiveRunnerSingleShot): a session reserved for this one request
// (402 → pay → retry on-chain) and released when it ends.
func (r *RunnerRegistry) handleSingleShot(w http.ResponseWriter, req *http.Request) {
	route := req.PathValue("runner_id")
	mode, err := r.mode(route)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	if mode != runnerModeSingleShot {
		http.Error(w, "runner is not single-shot", http.StatusBadRequest)
		return
	}
	price, err := r.paymentInfo(route)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	var sid, endpoint string
	if price == nil {
		if sid, endpoint, err = r.reserve(route, ""); err != nil {
			respondRunnerError(w, err)
			return
		}
	} else {
		var ok bool
		if sid, endpoint, ok = r.reservePaid(w, req, route, price, cancel); !ok {
			return
		}
	}
	defer func() { _ = r.release(route, sid) }()
	_, token, err := r.sessionTarget(route, sid)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	r.proxy(w, req.Clone(ctx), route, sid, token, endpoint, req.PathValue("app_path"))
}

// handleRunProxy is ANY /run/{proxy}/{app_path...} (go-livepeer
// tryLiveRunnerProxy with the default template {service}/run/{proxy}).
func (r *RunnerRegistry) handleRunProxy(w http.ResponseWriter, req *http.Request) {
	id, appPath := req.PathValue("proxy"), req.PathValue("app_path")
	pr, err := r.resolveProxy(id)
	if err != nil {
		respondRunnerError(w, err)
		return
	}
	if pr.singleShot {
		local := req.Clone(req.Context())
		local.SetPathValue("runner_id", id)
		local.SetPathValue("app_path", appPath)
		r.handleSingleShot(w, local)
		return
	}
	r.proxy(w, req, pr.route, pr.sessionID, pr.token, pr.target, appPath)
}

// proxy is go-livepeer's proxyLiveRunner: method, query, headers, body,
// streaming answers and WebSocket upgrades pass through to endpoint +
// appPath; Host becomes the runner's and the four Livepeer-* session headers
// are set. Proxy errors answer 502 in plain text. The request also ends when
// the registry closes (a hijacked WebSocket included).
func (r *RunnerRegistry) proxy(w http.ResponseWriter, req *http.Request, route, sid, token, endpoint, appPath string) {
	target, err := url.Parse(endpoint)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	path, err := url.JoinPath("/", target.Path, appPath)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	control := r.runnerURI() + "/runner/" + url.PathEscape(route) + "/session/" + url.PathEscape(sid)
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	stop := context.AfterFunc(r.ctx, cancel)
	defer stop()
	rp := &httputil.ReverseProxy{
		Transport: r.proxyTransport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = target.Scheme
			pr.Out.URL.Host = target.Host
			pr.Out.URL.Path = path
			pr.Out.URL.RawPath = ""
			pr.Out.URL.RawQuery = pr.In.URL.RawQuery
			pr.Out.Host = target.Host
			pr.Out.Header.Set(RunnerRouteHeader, route)
			pr.Out.Header.Set(SessionIDHeader, sid)
			pr.Out.Header.Set(SessionTokenHeader, token)
			pr.Out.Header.Set(SessionControlHeader, control)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
		ErrorLog: slogToLog(r.log),
	}
	rp.ServeHTTP(w, req.WithContext(ctx))
}
