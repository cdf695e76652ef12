package livepeer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/byoc"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// signJobRequest signs a prepared BYOC job header (id, request, parameters
// and capability set) the way signJob does for batch jobs: with o.key when
// given, else Config.SigningKey, else with the remote signer (/sign-byoc-job), else (off-chain) with
// a fresh key. It sets timeout_seconds from o.timeout.
func (g *Gateway) signJobRequest(ctx context.Context, job *byoc.JobRequest, o *jobOptions) (*jobCreds, error) {
	secs := max(int((o.timeout+time.Second-1)/time.Second), 1)
	job.TimeoutSeconds = secs
	c := &jobCreds{onchain: !g.signer.Offchain()}
	if o.key == nil {
		o.key = g.set.signingKey // the Gateway-wide default (Config.SigningKey)
	}
	key := o.key
	if key == nil && c.onchain {
		sig, err := g.signer.SignBYOCJob(ctx, &signer.BYOCJob{ID: job.ID, Capability: job.Capability, Request: job.Request, Parameters: job.Parameters, TimeoutSeconds: secs})
		if err != nil {
			if errors.Is(err, signer.ErrBYOCSigningUnsupported) {
				return nil, fmt.Errorf("livepeer: sign BYOC stream: the remote signer has no /sign-byoc-job; set LiveOptions.SigningKey: %w", err)
			}
			return nil, fmt.Errorf("livepeer: sign BYOC stream: %w", err)
		}
		job.Sender, job.Sig = sig.Sender, sig.Signature
		oi, err := g.signer.SignOrchestratorInfo(ctx)
		if err != nil {
			return nil, fmt.Errorf("livepeer: sign BYOC sender address: %w", err)
		}
		if c.sender, err = eth.ParseAddress(sig.Sender); err != nil {
			return nil, fmt.Errorf("livepeer: sign BYOC job: the signer's sender: %w", err)
		}
		c.payer = oi.Address
		eth := &byoc.JobSender{Addr: oi.Address.Hex(), Sig: byoc.EncodeSig(oi.Signature)}
		if c.eth, err = eth.Encode(); err != nil {
			return nil, err
		}
	} else {
		if key == nil {
			var err error
			if key, err = eth.GenerateKey(); err != nil {
				return nil, err
			}
		}
		if err := job.SignV0(key); err != nil {
			return nil, err
		}
		c.sender = eth.KeyAddress(key)
		eth, err := byoc.NewJobSender(key)
		if err != nil {
			return nil, err
		}
		if c.eth, err = eth.Encode(); err != nil {
			return nil, err
		}
		if c.onchain {
			oi, err := g.signer.SignOrchestratorInfo(ctx)
			if err != nil {
				return nil, fmt.Errorf("livepeer: sign BYOC sender address: %w", err)
			}
			c.payer = oi.Address
		}
	}
	var err error
	c.header, err = job.Encode()
	return c, err
}
