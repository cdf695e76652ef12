package livepeertest

import "sync/atomic"

// ticketParamsLifetime is how many blocks ticket params stay valid after they
// are issued (go-livepeer pm/recipient.go paramsExpirationBlock).
const ticketParamsLifetime = 40

// paramsExpiryBuffer: the sender (signer) treats params as expired when
// expirationBlock − currentBlock ≤ this (go-livepeer pm/recipient.go).
const paramsExpiryBuffer = 1

// BlockClock is a simulated L1 block number shared by orchestrators and the
// signer: ticket params expire by block, as on chain. The zero value is not
// usable; use NewBlockClock. Safe for concurrent use.
type BlockClock struct {
	block atomic.Int64
}

// NewBlockClock returns a clock at block start.
func NewBlockClock(start int64) *BlockClock {
	c := &BlockClock{}
	c.block.Store(start)
	return c
}

// Block returns the current block number.
func (c *BlockClock) Block() int64 { return c.block.Load() }

// Advance moves the clock k blocks forward (k ≤ 0 does nothing) and returns the new block.
func (c *BlockClock) Advance(k int64) int64 {
	if k <= 0 {
		return c.Block()
	}
	return c.block.Add(k)
}
