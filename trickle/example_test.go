package trickle_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// A trickle server in process, a publisher writing three segments into a
// channel, and a subscriber reading them back until the publisher ends the
// channel.
func Example() {
	// RememberClosed: a subscriber that asks after the channel was removed
	// still learns it ended cleanly (go-livepeer answers 404 instead).
	srv := trickle.NewServer(trickle.ServerConfig{BasePath: "/ai/trickle/", RememberClosed: time.Minute})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	if err := srv.CreateChannel("demo", "text/plain"); err != nil {
		fmt.Println(err)
		return
	}
	url := hs.URL + "/ai/trickle/demo"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	pub, err := trickle.NewPublisher(url, trickle.PublisherConfig{MimeType: "text/plain"})
	if err != nil {
		fmt.Println(err)
		return
	}
	sub, err := trickle.NewSubscriber(url, trickle.SubscriberConfig{Start: 0})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()

	for _, msg := range []string{"hello", "from", "trickle"} {
		// Write returns nil once the server stored the whole segment.
		if err := pub.Write(ctx, strings.NewReader(msg)); err != nil {
			fmt.Println(err)
			return
		}
	}
	for range 3 {
		seg, err := sub.Next(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		b, err := io.ReadAll(seg)
		seg.Close()
		if err != nil { // a segment cut short is an error, never a clean EOF
			fmt.Println(err)
			return
		}
		fmt.Printf("segment %d (%s): %s\n", seg.Seq(), seg.ContentType(), b)
	}

	// Closing the publisher ends the channel for its subscribers.
	if err := pub.Close(); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := sub.Next(ctx); errors.Is(err, trickle.ErrEndOfStream) {
		fmt.Println("end of stream")
	}
	ps, ss := pub.Stats(), sub.Stats()
	fmt.Printf("published %d segments (%d bytes), received %d (%d bytes), skipped %d\n",
		ps.Segments, ps.Bytes, ss.Segments, ss.Bytes, ss.SkippedSegments)
	// Output:
	// segment 0 (text/plain): hello
	// segment 1 (text/plain): from
	// segment 2 (text/plain): trickle
	// end of stream
	// published 3 segments (16 bytes), received 3 (16 bytes), skipped 0
}
