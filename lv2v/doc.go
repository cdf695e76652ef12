// Package lv2v starts live-video-to-video streams (ai-runner pipelines such
// as StreamDiffusion) on go-livepeer orchestrators: the first payment goes
// with POST {orchestrator}/live-video-to-video, whose answer names the
// stream's four trickle channels and its manifest id; later payments go to
// POST {orchestrator}/payment on a timer (Stream.Pay). It is the mechanics
// behind livepeer.Gateway.Live for "live-video-to-video/<model>"; the
// session around it (trickle channels, events, control, keepalive) is
// livepeer.LiveSession.
//
// A Client takes the shared pieces through small interfaces: Candidates (the
// selection cursor; *discovery.Selector), Payments (payment sessions;
// *livepeer.Gateway) and Doer (*http.Client). Errors start with "lv2v:"
// and match the shared sentinels of package livepeer.
package lv2v
