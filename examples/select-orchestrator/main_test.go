package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The in-process network black-holes one orchestrator and fails another:
// the selection succeeds and both show up as rejections.
func TestSelectsPastDeadOrchestrators(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-orchestrator-timeout", "300ms"}, &out, &errOut))
	s := out.String()
	assert.Regexp(t, `selected (https://)?127\.0\.0\.1:\d+ `, s)
	assert.Contains(t, errOut.String(), "black-holed")
	assert.Regexp(t, `(?s)rejected .*rejected `, s, "both dead orchestrators rejected")
}

func TestUnknownCapabilityFails(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-orchestrator-timeout", "300ms", "-capability", "live-video-to-video/no-such-model"}, &out, &out)
	require.Error(t, err)
}
