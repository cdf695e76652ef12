package aipipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// ExampleRun generates an image on the in-process network: Prepare computes
// the units the orchestrator charges, Run pays them through the signer and
// returns the result, whose image is fetched from the orchestrator.
func ExampleRun() {
	n, err := startAINet(livepeertest.NetworkConfig{Orchestrators: 1})
	if err != nil {
		panic(err)
	}
	defer n.close()
	ctx := context.Background()

	c, err := aipipeline.ParseCapability("text-to-image/" + livepeertest.AIModelTextToImage)
	if err != nil {
		panic(err)
	}
	call, err := aipipeline.Prepare(ctx, c, aipipeline.TextToImageParams{
		Prompt: "a red fox", Width: aipipeline.Ptr(1024), Height: aipipeline.Ptr(768),
	}, nil)
	if err != nil {
		panic(err)
	}
	res, err := aipipeline.Run(ctx, n.hc, n.target(0, c), call, n.payer)
	if err != nil {
		panic(err)
	}
	b, err := res.Images[0].Bytes(ctx)
	if err != nil {
		panic(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	pay := n.Signer().BatchPayments()[0]
	fmt.Println("units:", res.Units, "fee (wei):", res.Fee.FloatString(0))
	fmt.Println("tickets:", pay.Tickets, "paid (wei):", pay.EV.FloatString(0))
	fmt.Println("image:", img.Bounds().Dx(), "x", img.Bounds().Dy())
	// Output:
	// units: 786432 fee (wei): 1572864000000
	// tickets: 2 paid (wei): 2000000000000
	// image: 1024 x 768
}
