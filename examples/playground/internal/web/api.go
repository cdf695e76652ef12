package web

import (
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/meter"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/store"
	"github.com/livepeer/livepeer-go-gateway/examples/playground/internal/workflow"
)

// snippetRequest is the form state a snippet is rendered for.
type snippetRequest struct {
	Workflow string         `json:"workflow"`
	Model    string         `json:"model"`
	Params   map[string]any `json:"params"`
}

// handleSnippets is POST /api/snippets: the card's Go, Python and curl
// snippets for the form's model and parameters (validated as a run start
// would be), with the key and token placeholders the page fills in.
func (s *Server) handleSnippets(w http.ResponseWriter, r *http.Request) {
	var req snippetRequest
	d := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	d.UseNumber()
	if err := d.Decode(&req); err != nil {
		writeErrorState(w, http.StatusBadRequest, NewErrorState(InvalidParams, "The request is not valid JSON."))
		return
	}
	sn, err := s.renderSnippets(req.Workflow, req.Model, req.Params)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": NewErrorState(InvalidParams, err.Error()), "field": fieldOf(err)})
		return
	}
	writeJSON(w, http.StatusOK, sn)
}

// renderSnippets renders the snippets of workflow slug for a model and a
// parameter patch over its defaults.
func (s *Server) renderSnippets(slug, model string, patch map[string]any) (workflow.Snippets, error) {
	wf, ok := s.cfg.Workflows.Get(slug)
	if !ok {
		return workflow.Snippets{}, &workflow.FieldError{Field: "workflow", Reason: "unknown workflow " + slug}
	}
	m, ok := wf.Model(model)
	if !ok {
		return workflow.Snippets{}, &workflow.FieldError{Field: "model", Reason: "must be one of the listed models"}
	}
	params, err := wf.Apply(m.Copy(), patch)
	if err != nil {
		return workflow.Snippets{}, err
	}
	return workflow.Render(wf, workflow.SnippetData{BaseURL: s.cfg.BaseURL, ModelID: m.ID, Params: params})
}

// handleCreateKeyAPI is POST /api/keys: a new key for the signed-in
// account, returned once (the card's "create a key for this snippet").
func (s *Server) handleCreateKeyAPI(w http.ResponseWriter, r *http.Request) {
	u := s.currentUser(r)
	if u == nil {
		writeErrorState(w, http.StatusUnauthorized, NewErrorState(SignedOut, "Sign in to create a key."))
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&req)
	if strings.TrimSpace(req.Name) == "" {
		req.Name = "snippet " + time.Now().UTC().Format("2006-01-02 15:04")
	}
	k, secret, err := s.store.CreateKey(r.Context(), u.ID, req.Name)
	if err != nil {
		s.log.Error("web: create key", "err", err)
		writeErrorState(w, http.StatusServiceUnavailable, NewErrorState(SignerDown, "The key could not be created; retry in a moment."))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "name": k.Name, "prefix": k.Prefix, "key": secret})
}

// budgetView is an account's budget in human terms.
type budgetView struct {
	CapWei      int64  `json:"capWei"`
	SpentWei    int64  `json:"spentWei"`
	ReservedWei int64  `json:"reservedWei"`
	LeftWei     int64  `json:"leftWei"`
	Cap         string `json:"cap"`
	Used        string `json:"used"`
	Held        string `json:"held"`
	Left        string `json:"left"`
	// RatePerHour is the streaming cost of an hour at the current rate,
	// TimeLeft the streaming time the budget left buys at it ("" when no
	// rate is known yet).
	RatePerHour string `json:"ratePerHour,omitempty"`
	TimeLeft    string `json:"timeLeft,omitempty"`
	SecondsLeft int64  `json:"secondsLeft,omitempty"`
	// Payments and Tickets so far; FaceValue is the tickets' total face
	// value (paid only on winning tickets: not a cost).
	Payments  int64  `json:"payments"`
	Tickets   int64  `json:"tickets"`
	FaceValue string `json:"faceValue"`
}

func eth(wei int64) string { return meter.FormatETH(big.NewInt(wei)) }

// budget reads userID's budget and the streaming time it buys.
func (s *Server) budget(r *http.Request, userID int64) (*budgetView, error) {
	us, err := s.store.Usage(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	return s.budgetOf(userID, us), nil
}

func (s *Server) budgetOf(userID int64, us *store.Usage) *budgetView {
	left := max(us.CapWei-us.SpentWei-us.ReservedWei, 0)
	b := &budgetView{
		CapWei: us.CapWei, SpentWei: us.SpentWei, ReservedWei: us.ReservedWei, LeftWei: left,
		Cap: eth(us.CapWei), Used: eth(us.SpentWei), Held: eth(us.ReservedWei), Left: eth(left),
		Payments: us.Payments, Tickets: us.Tickets, FaceValue: meter.FormatETH(us.FaceWei),
	}
	if rate := s.rate(userID); rate != nil && rate.Sign() > 0 && left > 0 {
		hour := new(big.Rat).Mul(rate, big.NewRat(3600, 1))
		b.RatePerHour = meter.FormatETH(meter.Ceil(hour))
		secs, _ := new(big.Rat).Quo(big.NewRat(left, 1), rate).Float64()
		b.SecondsLeft = int64(secs)
		b.TimeLeft = humanDuration(time.Duration(secs * float64(time.Second)))
	}
	return b
}

// rate is the streaming rate (wei per second) the estimate uses: the
// account's last session's, else anyone's, else the configured hint.
func (s *Server) rate(userID int64) *big.Rat {
	if r, ok := s.proxy.Rate(userID); ok {
		return r
	}
	if s.cfg.RateHint != nil {
		return s.cfg.RateHint
	}
	return nil
}

// humanDuration renders a duration for people: "4 h 58 min", "12 min",
// "40 s".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return itoa(int64(d/time.Second)) + " s"
	case d < time.Hour:
		return itoa(int64(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		h := int64(d / time.Hour)
		m := int64((d % time.Hour) / time.Minute)
		if m == 0 {
			return itoa(h) + " h"
		}
		return itoa(h) + " h " + itoa(m) + " min"
	}
	return itoa(int64(d/(24*time.Hour))) + " days"
}
