package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The in-process network lists three toy runners, one line each.
func TestListsRunners(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), nil, &out, &errOut))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 4, out.String())
	require.Regexp(t, `^ORCHESTRATOR\s+APP\s+MODE\s+USED/CAPACITY\s+GPU\s+PRICE$`, lines[0])
	require.Regexp(t, `https://127\.0\.0\.1:\d+\s+example/echo\s+single-shot\s+0/4\s+NVIDIA L40S \(46068 MB\)\s+40000000000 wei/fixed`, out.String())
	require.Regexp(t, `https://127\.0\.0\.1:\d+\s+example/echo\s+persistent\s+0/4\s+NVIDIA H100 80GB HBM3 \(81559 MB\)\s+800000000000 wei/seconds`, out.String())
}

func TestFiltersAndNoMatch(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-gpu", "h100"}, &out, &errOut))
	require.Equal(t, 2, strings.Count(out.String(), "\n"), out.String())
	out.Reset()
	require.Error(t, run(context.Background(), []string{"-app", "no/such-app"}, &out, &errOut))
	require.Error(t, run(context.Background(), []string{"-mode", "sometimes"}, &out, &errOut))
}
