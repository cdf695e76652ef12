package livepeertest

import "sync/atomic"

// ticketParamsLifetime is how many blocks ticket params stay valid after they
// are issued (go-livepeer pm/recipient.go paramsExpirationBlock).
const ticketParamsLifetime = 40

// paramsExpiryBuffer: the sender (signer) treats params as expired when
// expirationBlock − currentBlock ≤ this (go-livepeer pm/recipient.go).
const paramsExpiryBuffer = 1

// blockClock is a simulated L1 block number shared by orchestrators and the
// signer: ticket params expire by block, as on chain. The zero value is not
// usable; use newBlockClock. Safe for concurrent use.
type blockClock struct {
	n atomic.Int64
}

// newBlockClock returns a clock at block start.
func newBlockClock(start int64) *blockClock {
	c := &blockClock{}
	c.n.Store(start)
	return c
}

// block returns the current block number.
func (c *blockClock) block() int64 { return c.n.Load() }

// advance moves the clock k blocks forward (k ≤ 0 does nothing) and returns the new block.
func (c *blockClock) advance(k int64) int64 {
	if k <= 0 {
		return c.block()
	}
	return c.n.Add(k)
}
