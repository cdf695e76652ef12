package main

import (
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// faults applies a devnet's fault knobs (livepeertest's
// Orchestrator.SetBlackhole, SetLatency, FailGetOrchestrator,
// Signer.SetDown, SetLatency, SetBalance, Network.AdvanceBlocks) and
// remembers what it set, which livepeertest does not report. Safe for
// concurrent use: flags, the control endpoint and the signer-down timer
// share it.
type faults struct {
	n *livepeertest.Network

	mu            sync.Mutex
	blackhole     []bool
	latency       []time.Duration
	signerDown    bool
	signerLatency time.Duration
	budget        *big.Int // nil: unlimited
	blocks        int64    // advanced so far
	timer         *time.Timer
}

func newFaults(n *livepeertest.Network, budget *big.Int) *faults {
	k := len(n.Orchestrators())
	return &faults{n: n, blackhole: make([]bool, k), latency: make([]time.Duration, k), budget: budget}
}

// errNoOrchestrator is an orchestrator index out of range.
type errNoOrchestrator struct{ i, n int }

func (e errNoOrchestrator) Error() string {
	return fmt.Sprintf("no orchestrator %d (the devnet has %d: 0..%d)", e.i, e.n, e.n-1)
}

func (f *faults) orchestrator(i int) (*livepeertest.Orchestrator, error) {
	os := f.n.Orchestrators()
	if i < 0 || i >= len(os) {
		return nil, errNoOrchestrator{i, len(os)}
	}
	return os[i], nil
}

// setBlackhole makes orchestrator i accept connections and never answer.
func (f *faults) setBlackhole(i int, on bool) error {
	o, err := f.orchestrator(i)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o.SetBlackhole(on)
	f.blackhole[i] = on
	return nil
}

// setLatency delays every request orchestrator i handles by d.
func (f *faults) setLatency(i int, d time.Duration) error {
	o, err := f.orchestrator(i)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o.SetLatency(d)
	f.latency[i] = d
	return nil
}

// failDiscovery makes orchestrator i's next k GetOrchestrator calls fail.
func (f *faults) failDiscovery(i, k int) error {
	o, err := f.orchestrator(i)
	if err != nil {
		return err
	}
	o.FailGetOrchestrator(k)
	return nil
}

// setSignerDown makes the signer answer 503 to everything (or stop doing so).
func (f *faults) setSignerDown(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n.Signer().SetDown(on)
	f.signerDown = on
}

// signerDownAfter takes the signer down after d (the --signer-down-after flag).
func (f *faults) signerDownAfter(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timer = time.AfterFunc(d, func() { f.setSignerDown(true) })
}

// setSignerLatency delays every signer request by d.
func (f *faults) setSignerLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n.Signer().SetLatency(d)
	f.signerLatency = d
}

// setBudget replaces the signer's budget (nil: unlimited); what was spent stays spent.
func (f *faults) setBudget(b *big.Int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n.Signer().SetBalance(b)
	f.budget = b
}

// advanceBlocks moves the block clock (ticket params expire after 40 blocks).
func (f *faults) advanceBlocks(k int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n.AdvanceBlocks(k)
	f.blocks += k
}

// stop cancels a pending signer-down timer and clears the orchestrators'
// black holes and delays, so the devnet's own shutdown (its runners
// unregistering) is not held up by them.
func (f *faults) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timer != nil {
		f.timer.Stop()
	}
	for i, o := range f.n.Orchestrators() {
		if f.blackhole[i] {
			o.SetBlackhole(false)
		}
		if f.latency[i] > 0 {
			o.SetLatency(0)
		}
	}
}

// faultState is the knobs' state as the control endpoint reports it.
type faultState struct {
	Orchestrators []orchestratorFaults `json:"orchestrators"`
	Signer        signerState          `json:"signer"`
	BlocksAdvance int64                `json:"blocks_advanced"`
}

type orchestratorFaults struct {
	Index     int    `json:"index"`
	Address   string `json:"address"`
	Blackhole bool   `json:"blackhole"`
	Latency   string `json:"latency"`
}

type signerState struct {
	URL     string `json:"url"`
	Down    bool   `json:"down"`
	Latency string `json:"latency"`
	Budget  string `json:"budget_wei"` // a decimal, or "unlimited"
	Spent   string `json:"spent_wei"`
}

func (f *faults) state() faultState {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := faultState{BlocksAdvance: f.blocks, Signer: signerState{
		URL: f.n.SignerURL(), Down: f.signerDown, Latency: f.signerLatency.String(),
		Budget: budgetString(f.budget), Spent: f.n.Signer().Spent().String(),
	}}
	for i, addr := range f.n.OrchestratorAddrs() {
		st.Orchestrators = append(st.Orchestrators, orchestratorFaults{Index: i, Address: addr, Blackhole: f.blackhole[i], Latency: f.latency[i].String()})
	}
	return st
}

// budgetString renders a budget: a decimal number of wei, or "unlimited".
func budgetString(b *big.Int) string {
	if b == nil {
		return "unlimited"
	}
	return b.String()
}

// parseBudget reads a budget: a non-negative number of wei (decimal, or
// in e-notation such as 1e18), or "unlimited".
func parseBudget(s string) (*big.Int, error) {
	if s == "unlimited" {
		return nil, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 || !r.IsInt() {
		return nil, fmt.Errorf("%q is not a whole number of wei (or \"unlimited\")", s)
	}
	return new(big.Int).Set(r.Num()), nil
}
