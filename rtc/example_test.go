package rtc_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/rtc"
	"github.com/livepeer/livepeer-go-gateway/rtc/rtctest"
)

// A WHIP endpoint: the camera's H.264 access units arrive in order with
// their 90 kHz timestamps. In a real server OnAccessUnit feeds a
// media.Segmenter whose sink is LiveSession.NextSegment.
func ExampleNewIngest() {
	got := make(chan int64, 100)
	whip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offer, _ := io.ReadAll(r.Body)
		in, answer, err := rtc.NewIngest(context.Background(), string(offer), rtc.IngestOptions{
			OnAccessUnit: func(pts int64, au []byte) {
				select {
				case got <- pts:
				default:
				}
			},
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		go func() { <-in.Gone(); _ = in.Close() }()
		w.Header().Set("Content-Type", "application/sdp")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, answer)
	}))
	defer whip.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	camera, err := rtctest.NewSender(ctx, func(ctx context.Context, offer string) (string, error) {
		resp, err := http.Post(whip.URL, "application/sdp", strings.NewReader(offer))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer camera.Close()
	// One IDR access unit (SPS, PPS, slice) every 40 ms until the first arrives.
	frame := []byte{0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1f, 0x8c, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84}
	for {
		_ = camera.WriteAccessUnit(frame, 40*time.Millisecond)
		select {
		case pts := <-got:
			fmt.Println("first access unit at pts", pts)
			return
		case <-ctx.Done():
			fmt.Println("no media")
			return
		case <-time.After(40 * time.Millisecond):
		}
	}
	// Output: first access unit at pts 0
}
