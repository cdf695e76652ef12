package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/internal/lperr"
)

func TestSenderRunsOnTimerUntilClose(t *testing.T) {
	leakCheck(t)
	var n atomic.Int32
	s := StartSender(context.Background(), SenderConfig{Interval: 2 * time.Millisecond, Send: func(ctx context.Context) error {
		n.Add(1)
		return nil
	}})
	require.Eventually(t, func() bool { return n.Load() >= 3 }, 2*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "idempotent")
	stopped := n.Load()
	time.Sleep(10 * time.Millisecond)
	assert.Equal(t, stopped, n.Load(), "no send after Close")
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed")
	}
}

func TestSenderFirstSendAfterOneInterval(t *testing.T) {
	leakCheck(t)
	var n atomic.Int32
	s := StartSender(context.Background(), SenderConfig{Interval: time.Hour, Send: func(ctx context.Context) error { n.Add(1); return nil }})
	require.NoError(t, s.Close())
	assert.EqualValues(t, 0, n.Load())
}

func TestSenderSkipsNoTicketsAndToleratesTransientErrors(t *testing.T) {
	leakCheck(t)
	var n atomic.Int32
	s := StartSender(context.Background(), SenderConfig{Interval: time.Millisecond, Send: func(ctx context.Context) error {
		switch k := n.Add(1); {
		case k%3 == 0:
			return fmt.Errorf("wrapped: %w", lperr.ErrNoTicketsNeeded)
		case k%3 == 1:
			return errors.New("transient")
		default:
			return nil
		}
	}, MaxConsecutiveFailures: 2})
	require.Eventually(t, func() bool { return n.Load() >= 12 }, 2*time.Second, time.Millisecond)
	require.NoError(t, s.Err())
	require.NoError(t, s.Close())
}

func TestSenderStopsOnInsufficientBalance(t *testing.T) {
	leakCheck(t)
	var n atomic.Int32
	var stopped atomic.Value
	s := StartSender(context.Background(), SenderConfig{Interval: time.Millisecond, Send: func(ctx context.Context) error {
		if n.Add(1) == 3 {
			return fmt.Errorf("signer: %w", lperr.ErrInsufficientBalance)
		}
		return nil
	}, OnStop: func(err error) { stopped.Store(err) }})
	select {
	case <-s.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("sender did not stop")
	}
	require.ErrorIs(t, s.Err(), lperr.ErrInsufficientBalance)
	require.ErrorIs(t, s.Close(), lperr.ErrInsufficientBalance)
	assert.EqualValues(t, 3, n.Load())
	require.ErrorIs(t, stopped.Load().(error), lperr.ErrInsufficientBalance)
}

func TestSenderStopsAfterConsecutiveFailures(t *testing.T) {
	leakCheck(t)
	var n atomic.Int32
	boom := errors.New("boom")
	s := StartSender(context.Background(), SenderConfig{Interval: time.Millisecond, Send: func(ctx context.Context) error { n.Add(1); return boom }, MaxConsecutiveFailures: 4})
	<-s.Done()
	require.ErrorIs(t, s.Err(), boom)
	assert.Contains(t, s.Err().Error(), "4 consecutive failures")
	assert.EqualValues(t, 4, n.Load())
}

func TestSenderStopsOnContextAndCancelsSend(t *testing.T) {
	leakCheck(t)
	ctx, cancel := context.WithCancel(context.Background())
	entered := make(chan struct{}, 1)
	s := StartSender(ctx, SenderConfig{Interval: time.Millisecond, Send: func(ctx context.Context) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done() // a send in flight is cancelled too
		return ctx.Err()
	}})
	<-entered
	cancel()
	select {
	case <-s.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("sender did not stop on ctx")
	}
	assert.NoError(t, s.Err())
	assert.NoError(t, s.Close())
}

func TestSenderBadArgs(t *testing.T) {
	var got error
	s := StartSender(context.Background(), SenderConfig{Send: func(context.Context) error { return nil }, OnStop: func(err error) { got = err }})
	<-s.Done()
	require.ErrorIs(t, s.Err(), lperr.ErrInvalidConfig)
	require.ErrorIs(t, got, lperr.ErrInvalidConfig)
	require.ErrorIs(t, s.Close(), lperr.ErrInvalidConfig)
	s = StartSender(context.Background(), SenderConfig{Interval: time.Second})
	require.ErrorIs(t, s.Close(), lperr.ErrInvalidConfig)
}

func TestSenderWithSession(t *testing.T) {
	leakCheck(t)
	f := newFakeSigner(t, nil)
	var o *fakeOrch
	o = newFakeOrch(t, func(n int, w http.ResponseWriter) { paymentResult(t, o.srv.URL, byte(n))(n, w) })
	sc := f.client(t)
	sess, err := NewSession(Config{Signer: sc, Info: info(o.srv.URL, 1), ManifestID: "m"})
	require.NoError(t, err)
	snd := StartSender(context.Background(), SenderConfig{Interval: time.Millisecond, Send: sess.SendLV2V})
	require.Eventually(t, func() bool { return o.hits.Load() >= 3 }, 2*time.Second, time.Millisecond)
	require.NoError(t, snd.Close())
	require.NoError(t, sess.Close())
	sc.CloseIdleConnections()
}
