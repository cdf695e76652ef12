package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBYOCStreamInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"-text", "one two three"}, &out, &errOut))
	require.Equal(t, 12, strings.Count(out.String(), "event="), out.String())
	require.Contains(t, out.String(), "balance:")
	require.Contains(t, errOut.String(), "in-process network")

	require.NoError(t, run(ctx, []string{"-h"}, io.Discard, &errOut))
	require.Contains(t, errOut.String(), "Usage: byoc-stream")
}
