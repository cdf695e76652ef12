package byocwire

import (
	"encoding/json"
	"fmt"
)

// VerifyJobHeader performs go-livepeer master's job credential checks on a
// `Livepeer` header value, in its order: base64 JSON, timeout_seconds > 0,
// signature hex, and (unless skipSignature, go-livepeer's off-chain mode)
// the V0 signature over request+parameters by sender. Errors wrap
// ErrBadHeader or ErrBadSignature, or are ErrNoTimeout. Capacity, payment
// and the request details are the caller's next steps.
func VerifyJobHeader(h string, skipSignature bool) (*JobRequest, error) {
	j, err := ParseJobHeader(h)
	if err != nil {
		return nil, err
	}
	if err := j.VerifySig(skipSignature); err != nil {
		return nil, err
	}
	return j, nil
}

// RequestDetails is the part of the header's request JSON the orchestrator
// reads (go-livepeer JobRequestDetails).
type RequestDetails struct {
	StreamID string `json:"stream_id"`
}

// ParseRequestDetails parses the header's request string, which must be a
// JSON object (go-livepeer answers 400 "Unable to unmarshal job request
// details" otherwise). Errors wrap ErrBadHeader.
func (j *JobRequest) ParseRequestDetails() (*RequestDetails, error) {
	var d RequestDetails
	if err := json.Unmarshal([]byte(j.Request), &d); err != nil {
		return nil, fmt.Errorf("%w: request is not a JSON object: %v", ErrBadHeader, err)
	}
	return &d, nil
}
