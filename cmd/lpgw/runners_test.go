package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
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
