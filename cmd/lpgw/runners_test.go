package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/liverunner"
)

// fakeRunners is a runnerSource: the seam the live-runner client package
// will plug into.
type fakeRunners struct {
	rs   []runnerRecord
	errs []error
	err  error
}

func (f fakeRunners) Runners(context.Context) ([]runnerRecord, []error, error) {
	return f.rs, f.errs, f.err
}

func TestListRunnersSortsAndFilters(t *testing.T) {
	price := func(p string) *runnerPrice {
		return &runnerPrice{Price: jsonNumber(p), Currency: "wei", Unit: "seconds"}
	}
	src := fakeRunners{rs: []runnerRecord{
		{App: "b/app", Orchestrator: "o2", PriceInfo: price("100")},
		{App: "a/app", Orchestrator: "o1", PriceInfo: price("20")},
		{App: "b/app", Orchestrator: "o1", PriceInfo: price("9")},
		{App: "b/app", Orchestrator: "o3"}, // off-chain: free
	}, errs: []error{errors.New("o4: GET /discovery: 500")}}
	rs, errs, err := listRunners(context.Background(), src, "")
	require.NoError(t, err)
	require.Len(t, errs, 1)
	var order []string
	for _, r := range rs {
		order = append(order, r.App+"@"+r.Orchestrator)
	}
	require.Equal(t, []string{"a/app@o1", "b/app@o3", "b/app@o1", "b/app@o2"}, order, "by app, then price as a number")
	rs, _, err = listRunners(context.Background(), src, "a/app")
	require.NoError(t, err)
	require.Len(t, rs, 1)

	var buf bytes.Buffer
	printRunners(&buf, []runnerRecord{{App: "x/y", Mode: "single-shot", Capacity: 4, CapacityAvailable: 3,
		GPU: &runnerGPU{Name: "RTX", VRAMMB: 8192}, PriceInfo: &runnerPrice{Price: "5", Currency: "wei", Unit: "fixed"}, Orchestrator: "o"}})
	require.Contains(t, buf.String(), "x/y  single-shot  3/4 free  RTX (8 GiB)  5 wei / session  o")

	_, _, err = listRunners(context.Background(), fakeRunners{err: errors.New("boom")}, "")
	require.EqualError(t, err, "boom")
}

func jsonNumber(s string) json.Number { return json.Number(s) }

// A runner app from the shell: run runner/APP POSTs the input to the app
// at --path (single-shot toy/echo echoes the request), paid per call;
// the "APP" spelling works too when its first part is no pipeline.
func TestRunRunnerApp(t *testing.T) {
	ctx := testCtx(t)
	d, err := startDevnet(ctx, devnetOptions{orchestrators: 1})
	require.NoError(t, err)
	defer d.Close()
	for _, capability := range []string{"runner/toy/echo", "toy/echo"} {
		r := runCLI(t, ctx, "", "run", capability, `{"hello":"runner"}`, "--path", "echo/hi", "--token", d.net.Token())
		require.NoError(t, r.err, r.stderr)
		var echo struct {
			Method, Path, Body string
			Livepeer           map[string]string
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &echo), r.stdout)
		require.Equal(t, "POST", echo.Method)
		require.Equal(t, "/echo/hi", echo.Path)
		require.JSONEq(t, `{"hello":"runner"}`, echo.Body)
		require.NotEmpty(t, echo.Livepeer["Livepeer-Payment"], "the call was paid")
	}
	r := runCLI(t, ctx, "", "run", "runner/acme/nothing", `{}`, "--token", d.net.Token())
	require.Equal(t, exitNoOrchestrator, r.code, r.stderr)
	require.Contains(t, lastLine(r.stderr), "acme/nothing")

	// The listing comes from the SDK (Gateway.Runners): from the
	// orchestrators given as arguments too.
	r = runCLI(t, ctx, "", "runners", d.net.Orchestrators()[0].Addr(), "--app", "toy/echo")
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, "toy/echo")
	require.Contains(t, r.stdout, "1 runner(s)")
}

func TestRecordOf(t *testing.T) {
	rec := recordOf(livepeer.Runner{Orchestrator: "https://o", URL: "https://o/apps/r/app", App: "a/b", Mode: "single-shot",
		Capacity: 2, CapacityAvailable: 1, CapacityUsed: 1, GPU: &liverunner.GPU{Name: "G", VRAMMB: 2048},
		Price: &liverunner.Price{Wei: big.NewRat(3, 2), Currency: "wei", Unit: "seconds"}})
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	require.JSONEq(t, `{"orchestrator":"https://o","url":"https://o/apps/r/app","app":"a/b","mode":"single-shot","capacity":2,
		"capacity_used":1,"capacity_available":1,"gpu":{"name":"G","vram_mb":2048},"price_info":{"price":1.5,"currency":"wei","unit":"seconds"}}`, string(b))
	require.Equal(t, "7", ratDecimal(big.NewRat(7, 1)))
	require.Equal(t, "0.333333333333333333", ratDecimal(big.NewRat(1, 3)))
	require.Equal(t, "0", ratDecimal(big.NewRat(1, 4e18)))
}
