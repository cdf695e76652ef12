package livepeer_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func ExampleGateway_Run() {
	// An in-process network whose orchestrators run a BYOC worker.
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{
		Workers: map[string]http.Handler{"text-reversal": worker.TextReversal()},
	})
	if err != nil {
		panic(err)
	}
	defer net.Close()
	gw, err := livepeer.NewGateway(livepeer.Config{Token: net.Token()})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	res, err := gw.Run(context.Background(), "text-reversal", map[string]string{"text": "hello"})
	if err != nil {
		panic(err)
	}
	out, err := livepeer.DecodeJSON[struct {
		Reversed string `json:"reversed"`
	}](res)
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Reversed)
	// Output: olleh
}

func ExampleGateway_Stream() {
	net, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{
		Workers: map[string]http.Handler{"tokens": &worker.Streamer{}},
	})
	if err != nil {
		panic(err)
	}
	defer net.Close()
	gw, err := livepeer.NewGateway(livepeer.Config{Token: net.Token()})
	if err != nil {
		panic(err)
	}
	defer gw.Close()

	three := 3
	st, err := gw.Stream(context.Background(), "tokens", worker.StreamRequest{Text: "live video network", Count: &three})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	for ev, err := range st.Events(context.Background()) {
		if err != nil {
			panic(err)
		}
		var tok worker.Token
		if err := ev.JSON(&tok); err != nil {
			panic(err)
		}
		fmt.Println(ev.ID, tok.Token)
	}
	fmt.Println("paid:", st.Balance().Sign() > 0)
	// Output:
	// 0 live
	// 1 video
	// 2 network
	// paid: true
}
