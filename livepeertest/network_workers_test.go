package livepeertest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorkersAddMissingBYOCCapabilitiesOnly(t *testing.T) {
	h := http.NotFoundHandler()
	caps := withWorkerCapabilities([]CapabilitySpec{{Name: "byoc/a", PricePerUnit: 7, PixelsPerUnit: 1}}, map[string]http.Handler{"a": h, "b": h})
	require.Len(t, caps, 2)
	assert.Equal(t, int64(7), caps[0].PricePerUnit, "an existing spec keeps its price")
	assert.Equal(t, CapabilitySpec{Name: "byoc/b", PricePerUnit: defaultBYOCPricePerSecond, PixelsPerUnit: 1, Capacity: 4}, caps[1])

	def := withWorkerCapabilities(nil, map[string]http.Handler{"text-reversal": h})
	assert.Equal(t, DefaultCapabilities(), def, "nil starts from the defaults, which already have text-reversal")
}

func TestNetworkWorkersServeBYOC(t *testing.T) {
	checkNoLeak(t)
	n, err := NewNetwork(NetworkConfig{Orchestrators: 2, Workers: map[string]http.Handler{"echo": http.NotFoundHandler()}})
	require.NoError(t, err)
	defer n.Close()
	require.Len(t, n.BYOC(), 2)
	for _, b := range n.BYOC() {
		assert.True(t, b.registered("echo"))
	}
	_, ok := n.Orchestrators()[0].capabilityPrice("byoc/echo")
	assert.True(t, ok, "the worker's capability is advertised")
}
