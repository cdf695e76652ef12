package byoc

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/signer"
)

// credentials are the signed headers of one job or stream, made once and
// sent to every orchestrator tried.
type credentials struct {
	header  string      // Livepeer
	eth     string      // Livepeer-Eth-Address
	sender  eth.Address // the job's sender (who the orchestrator credits)
	payer   eth.Address // the signer's address (zero off-chain)
	onchain bool
	ownKey  bool // signed with a local key, not the remote signer
}

// timeoutSeconds renders a timeout as go-livepeer's timeout_seconds:
// rounded up to whole seconds, at least 1.
func timeoutSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// sign signs a job header (id, request and parameters set) with key, else
// the Client's key, else the remote signer (/sign-byoc-job), else
// (off-chain) a fresh key; V0 signature over request+parameters, as
// go-livepeer master's orchestrator verifies it (byoc/utils.go). On-chain
// the Livepeer-Eth-Address names the payer: with a local key the key's
// address, signed by the key; with the remote signer, the signer's address
// and its /sign-orchestrator-info signature (the same message).
func (c *Client) sign(ctx context.Context, job *byocwire.JobRequest, key *ecdsa.PrivateKey) (*credentials, error) {
	cr := &credentials{onchain: !c.signer.Offchain()}
	if key == nil {
		key = c.key
	}
	if key != nil && !eth.IsKey(key) {
		return nil, &lperr.ConfigError{Field: "SigningKey", Reason: "must be a secp256k1 private key"}
	}
	if key == nil && cr.onchain {
		sig, err := c.signer.SignBYOCJob(ctx, &signer.BYOCJob{ID: job.ID, Capability: job.Capability, Request: job.Request, Parameters: job.Parameters, TimeoutSeconds: job.TimeoutSeconds})
		if errors.Is(err, signer.ErrBYOCSigningUnsupported) {
			return nil, fmt.Errorf("byoc: sign job %s: the remote signer has no /sign-byoc-job; give a SigningKey (priced capabilities need the payer's key): %w", job.Capability, err)
		}
		if err != nil {
			return nil, fmt.Errorf("byoc: sign job %s: %w", job.Capability, err)
		}
		job.Sender, job.Sig = sig.Sender, sig.Signature
		if cr.sender, err = eth.ParseAddress(sig.Sender); err != nil {
			return nil, fmt.Errorf("byoc: sign job %s: the signer's sender: %w", job.Capability, err)
		}
		oi, err := c.signer.SignOrchestratorInfo(ctx)
		if err != nil {
			return nil, fmt.Errorf("byoc: sign the sender address: %w", err)
		}
		cr.payer = oi.Address
		if cr.sender != cr.payer {
			return nil, fmt.Errorf("byoc: the signer signed job %s as %s but pays as %s: %w", job.Capability, cr.sender.Hex(), cr.payer.Hex(), lperr.ErrPaymentFailed)
		}
		if cr.eth, err = (&byocwire.JobSender{Addr: oi.Address.Hex(), Sig: byocwire.EncodeSig(oi.Signature)}).Encode(); err != nil {
			return nil, err
		}
	} else {
		cr.ownKey = key != nil
		if key == nil {
			var err error
			if key, err = eth.GenerateKey(); err != nil {
				return nil, err
			}
		}
		if err := job.SignV0(key); err != nil {
			return nil, err
		}
		cr.sender = eth.KeyAddress(key)
		s, err := byocwire.NewJobSender(key)
		if err != nil {
			return nil, err
		}
		if cr.eth, err = s.Encode(); err != nil {
			return nil, err
		}
		if cr.onchain {
			oi, err := c.signer.SignOrchestratorInfo(ctx)
			if err != nil {
				return nil, fmt.Errorf("byoc: the payer's address: %w", err)
			}
			cr.payer = oi.Address
		}
	}
	var err error
	cr.header, err = job.Encode()
	return cr, err
}

// jobRequest builds the header of a job (request {"request_id": id},
// parameters {}) or of a stream (request {"stream_id": id}, parameters the
// channel flags), as go-livepeer's gateway does.
func jobRequest(capability, id string, timeout time.Duration, request, parameters any) *byocwire.JobRequest {
	req, _ := json.Marshal(request)       // maps of strings always marshal
	params, _ := json.Marshal(parameters) // maps of bools / empty objects always marshal
	return &byocwire.JobRequest{ID: id, Request: string(req), Parameters: string(params), Capability: capability, TimeoutSeconds: timeoutSeconds(timeout)}
}
