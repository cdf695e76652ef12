package livepeer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func ExampleGateway_Live() {
	// An in-process network: one orchestrator whose "noop" model passes
	// segments through, a remote signer that pays it, a discovery endpoint.
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1})
	if err != nil {
		panic(err)
	}
	defer net.Close()
	gw, err := livepeer.NewGateway(livepeer.Config{Token: net.Token()})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	ctx := context.Background()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", map[string]any{"prompt": "a cat"})
	if err != nil {
		panic(err)
	}
	defer sess.Close()
	fmt.Println(sess.Info().Kind, sess.Info().Capability)

	// Media in: real publishers send MPEG-TS segments (media.NewSegmenter
	// cuts H.264 into them); noop gives back what it gets.
	if err := sess.Publish(ctx, bytes.NewReader([]byte("segment 0"))); err != nil {
		panic(err)
	}
	// Media out, in order, as the pipeline writes it.
	for seg, err := range sess.Subscribe(ctx) {
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(seg)
		fmt.Printf("output segment %d: %s\n", seg.Seq(), b)
		break
	}
	// Control messages change the pipeline's parameters while it runs.
	if err := sess.Control(ctx, map[string]any{"prompt": "a dog"}); err != nil {
		panic(err)
	}
	// Close ends the stream on the orchestrator and stops the payments.
	fmt.Println(sess.Close(), sess.Err())
	// Output:
	// lv2v live-video-to-video/noop
	// output segment 0: segment 0
	// <nil> <nil>
}
