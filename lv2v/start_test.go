package lv2v

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
	"github.com/livepeer/livepeer-go-gateway/payment"
)

type noPayments struct{}

func (noPayments) NewPaymentSession(*discovery.Info, payment.Config) (*payment.Session, error) {
	return nil, errors.New("not called")
}

// Bad specs fail before any orchestrator is asked.
func TestStartRefusesBadSpecs(t *testing.T) {
	c, err := New(Config{Payments: noPayments{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []StreamSpec{
		{},
		{Model: "a/b"},
		{Model: "noop", Params: []int{1}},
		{Model: "noop", Params: "x"},
		{Model: "noop", Params: func() {}},
	} {
		if _, err := c.Start(context.Background(), http.DefaultClient, nil, spec); !errors.Is(err, lperr.ErrInvalidConfig) {
			t.Errorf("%+v: got %v, want ErrInvalidConfig", spec, err)
		}
	}
	if _, err := New(Config{}); !errors.Is(err, lperr.ErrInvalidConfig) {
		t.Errorf("New without Payments: %v", err)
	}
}
