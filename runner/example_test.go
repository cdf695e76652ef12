package runner_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/runner"
)

// A Go application registers as a live runner with an (in-process)
// orchestrator; a client reserves a session through the orchestrator and
// calls the application, which sees the session in the request context.
func Example() {
	ctx := context.Background()
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Offchain: true,
		Runners: &livepeertest.RunnersConfig{Secret: "orchestrator-secret"}})
	if err != nil {
		panic(err)
	}
	defer n.Close()
	orch := n.Orchestrators()[0].URL()

	app := httptest.NewUnstartedServer(nil) // the application's private address
	defer app.Close()
	r, err := runner.New(runner.Config{
		Orchestrators: []runner.Orchestrator{{URL: orch, Secret: "orchestrator-secret"}},
		Registration:  runner.Registration{URL: "http://" + app.Listener.Addr().String(), App: "example/hello", Capacity: 2},
	})
	if err != nil {
		panic(err)
	}
	app.Config.Handler = r.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s, ok := runner.SessionFrom(req.Context())
		fmt.Fprintf(w, "hello %s (session known: %t)", req.URL.Path, ok && s.ID() != "")
	}))
	app.Start()
	if err := r.Start(ctx); err != nil {
		panic(err)
	}
	defer r.Close()
	fmt.Println("registered:", r.Status()[0].Registered)

	// The client side, by hand (the livepeer client SDK does this for you).
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	d := n.Runners()[0].Discovery()[0]
	fmt.Println("discovered:", d.App, d.Mode, d.CapacityAvailable)
	resp, err := hc.Post(d.URL, "application/json", nil)
	if err != nil {
		panic(err)
	}
	var sess struct {
		AppURL     string `json:"app_url"`
		ControlURL string `json:"control_url"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	resp, err = hc.Get(sess.AppURL + "/world")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	resp, err = hc.Post(sess.ControlURL+"/stop", "", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("stop:", resp.StatusCode)
	hc.CloseIdleConnections()
	// Output:
	// registered: true
	// discovered: example/hello persistent 2
	// hello /world (session known: true)
	// stop: 204
}
