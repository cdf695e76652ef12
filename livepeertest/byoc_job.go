package livepeertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/eth"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
)

// byocJob is a verified job request with its reserved worker.
type byocJob struct {
	req    *byocwire.JobRequest
	sender eth.Address
	price  *big.Rat
	worker *byocWorker
}

// setupJob is go-livepeer's setupOrchJob: verify the header (400 "Could
// not verify job creds", or the timeout message), reserve capacity (503 "No
// capacity available for capability"), take the payment and check the
// balance covers 60 s (400 "Insufficient balance for request"), and parse
// the request details (400).
func (s *BYOCServer) setupJob(r *http.Request) (*byocJob, int, string) {
	req, err := byocwire.VerifyJobHeader(r.Header.Get(lphttp.HeaderJob), s.o.isOffchain())
	if errors.Is(err, byocwire.ErrNoTimeout) {
		return nil, http.StatusBadRequest, err.Error()
	}
	if err != nil {
		s.o.logger().Debug("livepeertest: BYOC job failed verification", "err", err)
		return nil, http.StatusBadRequest, "Could not verify job creds"
	}
	wk, ok := s.reserve(req.Capability)
	if !ok {
		return nil, http.StatusServiceUnavailable, "No capacity available for capability"
	}
	job := &byocJob{req: req, sender: hexAddress(req.Sender), worker: wk}
	job.price, ok = s.capabilityPrice(req.Capability)
	if !ok {
		s.free(wk)
		return nil, http.StatusBadRequest, "Could not get job price"
	}
	if job.price.Sign() > 0 {
		if h := r.Header.Get(lphttp.HeaderPayment); h != "" {
			if _, err := s.o.ProcessTickets(h, req.Capability); err != nil {
				s.o.logger().Debug("livepeertest: BYOC job payment error", "err", err) // only logged, as in go-livepeer
			}
		}
		if new(big.Rat).SetInt(s.o.Balance(job.sender, req.Capability)).Cmp(byocwire.MinimumBalance(job.price)) < 0 {
			s.free(wk)
			return nil, http.StatusBadRequest, "Insufficient balance for request"
		}
	}
	if _, err := req.ParseRequestDetails(); err != nil {
		s.free(wk)
		return nil, http.StatusBadRequest, fmt.Sprintf("Unable to unmarshal job request details err=%v", err)
	}
	return job, 0, ""
}

// debit charges seconds of compute at the job's price.
func (s *BYOCServer) debit(job *byocJob, seconds int64) {
	if job.price.Sign() <= 0 || seconds <= 0 {
		return
	}
	amt := new(big.Rat).Mul(job.price, big.NewRat(seconds, 1))
	s.o.debit(job.sender, job.req.Capability, ratFloor(amt))
}

func (s *BYOCServer) chargeSince(job *byocJob, start time.Time) {
	s.debit(job, int64(math.Ceil(time.Since(start).Seconds())))
}

func (s *BYOCServer) balance(job *byocJob) *big.Int {
	return s.o.Balance(job.sender, job.req.Capability)
}

// handleRequest serves POST /process/request/{path...} (go-livepeer
// ProcessJob): forward the body to the worker and relay its answer.
func (s *BYOCServer) handleRequest(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "orchestrator closed", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	job, status, msg := s.setupJob(r)
	if job == nil {
		s.reject(w, status, msg)
		return
	}
	defer s.free(job.worker)
	ctx := r.Context()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "Error reading request body", http.StatusInternalServerError)
		return
	}
	target := job.worker.cap.URL
	if sub := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/process/request"), "/"); sub != "" {
		target += "/" + sub
	}
	timeout := time.Duration(job.req.TimeoutSeconds) * time.Second
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wreq, err := http.NewRequestWithContext(wctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	wreq.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	if t := job.worker.cap.Token; t != "" {
		wreq.Header.Set("Authorization", "Bearer "+t)
	}
	s.mu.Lock()
	s.jobs++
	s.mu.Unlock()
	start := time.Now()
	resp, err := s.hc.Do(wreq)
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			s.Unregister(job.req.Capability) // go-livepeer removes a worker it cannot reach
		}
		s.chargeSince(job, start)
		w.Header().Set(lphttp.HeaderBalance, s.balance(job).String())
		http.Error(w, fmt.Sprintf("job not able to be processed, removing capability err=%v", err), http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		s.Unregister(job.req.Capability)
		s.chargeSince(job, start)
		w.Header().Set(lphttp.HeaderBalance, s.balance(job).String())
		http.Error(w, "job not able to be processed, removing capability err=worker auth token failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.Header().Set("X-Metadata", resp.Header.Get("X-Metadata"))
	if !strings.Contains(resp.Header.Get("Content-Type"), "text/event-stream") {
		data, err := io.ReadAll(resp.Body)
		s.chargeSince(job, start)
		w.Header().Set(lphttp.HeaderBalance, s.balance(job).String())
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case resp.StatusCode > 399:
			http.Error(w, string(data), resp.StatusCode)
		default:
			_, _ = w.Write(data)
		}
		return
	}
	s.relaySSE(wctx, w, job, resp.Body)
}

// relaySSE is go-livepeer's SSE relay: worker lines are passed on one by
// one; a line containing "[DONE]" is preceded by the balance; every debit
// interval 5 s are debited and a negative balance ends the stream with an
// "insufficient balance" event. After the worker's [DONE] the relay keeps
// writing blank lines until the job's timeout or the client leaves (master's
// bug, unless NoBlankLinesAfterDone).
func (s *BYOCServer) relaySSE(ctx context.Context, w http.ResponseWriter, job *byocJob, body io.Reader) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set(lphttp.HeaderPaymentBalance, s.balance(job).String())
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "Streaming not supported", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	flusher.Flush()

	lines := make(chan string, 100)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(lines)
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "[DONE]") {
				select {
				case lines <- fmt.Sprintf("data: {\"balance\": %s}\n\n", s.balanceString(job)):
				case <-ctx.Done():
					return
				}
			}
			select {
			case lines <- line:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { <-readerDone }() // ctx (the worker request's) ends with this handler
	tick := time.NewTicker(s.cfg.DebitInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if job.price.Sign() > 0 {
				s.debit(job, byocSSEDebitSeconds)
				if s.balance(job).Sign() < 0 {
					_, _ = io.WriteString(w, "event: insufficient balance\ndata: {\"balance\": 0}\n\ndata: [DONE]\n\n")
					flusher.Flush()
					return
				}
			}
		case <-ctx.Done():
			return
		case line, ok := <-lines:
			if !ok && s.cfg.NoBlankLinesAfterDone {
				return
			}
			// A closed channel gives "" forever: master writes blank lines until the timeout.
			if _, err := io.WriteString(w, line+"\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// balanceString renders the balance as go-livepeer's FloatString(3).
func (s *BYOCServer) balanceString(job *byocJob) string {
	return new(big.Rat).SetInt(s.balance(job)).FloatString(3)
}
