package livepeertest

// countRefusal records one /generate-live-payment refusal.
func (s *Signer) countRefusal(status int) {
	s.mu.Lock()
	s.refused[status]++
	s.mu.Unlock()
}

// Refusals returns how many /generate-live-payment calls the signer refused
// with status (signer.StatusRefreshSession for 480 "refresh session",
// 481 price, 483 out of credit...); faults injected with FailNext or
// SetDown are not counted.
func (s *Signer) Refusals(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[status]
}
