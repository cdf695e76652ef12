package worker

import (
	"context"
	"io"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/runner"
)

// Scope returns a Scope-like live-runner application served by r (static
// or dynamic registration alike): a client that reserved a session starts
// realtime video with POST {app_url}/scope and a live-video-to-video job
// body ({"params": {...}}); the app creates the session's "in", "out",
// "control" and "events" trickle channels through the orchestrator's
// callbacks and answers their public URLs in go-livepeer's
// LiveVideoToVideoResponse shape (runner.Video), then runs video on them
// until the input ends or the session is released. GET /health answers
// 200 for a static registration's health_url.
//
// video processes the stream; nil copies each segment unchanged. For the
// in-process network's ffmpeg pipelines use
// livepeertest.RunnerVideo(livepeertest.Transform(...)), which negates or
// hue-shifts the video and follows control messages.
func Scope(r *runner.Runner, video runner.VideoFunc) http.Handler {
	if video == nil {
		video = runner.PerSegment(func(_ context.Context, _ map[string]any, in io.Reader, out io.Writer) error {
			_, err := io.Copy(out, in)
			return err
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.Handle("POST /scope", runner.Video(video))
	return r.Handler(mux)
}
