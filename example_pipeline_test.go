package livepeer_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// A built-in AI pipeline through Run: the typed request in, the typed
// answer out, paid through the remote signer with the units the
// orchestrator charges (1024 × 768 pixels at the in-process network's
// 2 000 000 wei per pixel, covered by 2 tickets of 10^12 wei).
func ExampleGateway_Run_textToImage() {
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{})
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

	res, err := gw.Run(ctx, "text-to-image/"+livepeertest.AIModelTextToImage, livepeer.TextToImage{
		Prompt: "a red fox", Width: livepeer.Ptr(1024), Height: livepeer.Ptr(768),
	})
	if err != nil {
		panic(err)
	}
	p := res.Pipeline()
	b, err := p.Images[0].Bytes(ctx)
	if err != nil {
		panic(err)
	}
	img, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	pay := net.Signer().BatchPayments()[0]
	fmt.Println("image:", img.Width, "x", img.Height)
	fmt.Println("units:", p.Units, "fee (wei):", p.Fee.FloatString(0))
	fmt.Println("tickets:", pay.Tickets, "of EV (wei):", pay.EV.FloatString(0))
	// Output:
	// image: 1024 x 768
	// units: 786432 fee (wei): 1572864000000
	// tickets: 2 of EV (wei): 2000000000000
}

// An LLM answer through Stream: chunks until the one with a finish_reason.
func ExampleGateway_Stream_llm() {
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{})
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

	st, err := gw.Stream(ctx, "llm/"+livepeertest.AIModelLLM, livepeer.LLMRequest{
		Messages: []livepeer.LLMMessage{{Role: "user", Content: "hi"}}, MaxTokens: livepeer.Ptr(4),
	})
	if err != nil {
		panic(err)
	}
	for chunk, err := range st.LLMChunks(ctx) {
		if err != nil {
			panic(err)
		}
		fmt.Printf("%q\n", chunk.Text())
	}
	p := st.Pipeline()
	u, _ := p.Usage()
	fmt.Println(p.FinishReason(), u.CompletionTokens, "tokens;", p.Units, "units paid,", p.Fee.FloatString(0), "wei")
	// Output:
	// "Hello "
	// "from "
	// "the "
	// "livepeertest "
	// ""
	// stop 4 tokens; 4 units paid, 20000000000 wei
}
