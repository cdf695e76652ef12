package livepeertest

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
)

// handleSignBYOCJob serves POST /sign-byoc-job, the BYOC signing endpoint of
// go-livepeer's remote-signer branches (PR #3869): body
// {"id","capability","request","parameters","timeout_seconds"}, answer
// {"sender":"0x…","signature":"0x…"}. Unlike those branches (which sign a
// "V1" binary layout that only their orchestrators accept), this signer signs
// what go-livepeer master's orchestrator — and livepeertest's — verifies:
// personal_sign(keccak256(request + parameters)). So the job's sender is the
// payer whose tickets fund the (sender, capability) balance.
func (s *Signer) handleSignBYOCJob(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID             string `json:"id"`
		Capability     string `json:"capability"`
		Request        string `json:"request"`
		Parameters     string `json:"parameters"`
		TimeoutSeconds int    `json:"timeout_seconds"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &req) != nil {
		writeJSONError(w, http.StatusBadRequest, "invalid request body")
		return
	}
	sig, err := byocwire.Sign(s.key, []byte(req.Request+req.Parameters))
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, map[string]string{"sender": s.address.Hex(), "signature": byocwire.EncodeSig(sig)})
}
