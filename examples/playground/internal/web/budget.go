package web

import (
	"context"
)

// cannotAffordStart reports whether userID's budget cannot cover a run's
// first payment (the reservation the hosted signer will make for it, as
// last seen; with none seen yet, a budget with nothing left), and the
// out-of-credit state to answer with.
func (s *Server) cannotAffordStart(ctx context.Context, userID int64) (ErrorState, bool) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return ErrorState{}, false // the signer decides
	}
	left := u.RemainingWei()
	if left <= 0 {
		return OutOfCreditState(u.CapWei, u.SpentWei), true
	}
	if need, ok := s.proxy.FirstPaymentEstimate(); ok && need.IsInt64() && left < need.Int64() {
		return CannotStartState(left, need.Int64()), true
	}
	return ErrorState{}, false
}
