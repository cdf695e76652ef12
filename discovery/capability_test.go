package discovery

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

func TestParseCapability(t *testing.T) {
	cases := []struct {
		in   string
		want Capability
		str  string
	}{
		{"live-video-to-video/streamdiffusion", Capability{CapLiveVideoToVideo, "streamdiffusion"}, "live-video-to-video/streamdiffusion"},
		{"  Live_Video_To_Video / noop ", Capability{CapLiveVideoToVideo, "noop"}, "live-video-to-video/noop"},
		{"live-video-to-video", Capability{CapLiveVideoToVideo, ""}, "live-video-to-video"},
		{"byoc/text-reversal", Capability{CapBYOC, "text-reversal"}, "byoc/text-reversal"},
		{"35/streamdiffusion", Capability{CapLiveVideoToVideo, "streamdiffusion"}, "live-video-to-video/streamdiffusion"},
		{"37/echo", Capability{CapBYOC, "echo"}, "byoc/echo"},
		{"text-to-image/stabilityai/sd-turbo", Capability{CapTextToImage, "stabilityai/sd-turbo"}, "text-to-image/stabilityai/sd-turbo"},
		{"llm", Capability{CapLLM, ""}, "llm"},
		{"0", Capability{CapH264, ""}, "h264"},
	}
	for _, c := range cases {
		got, err := ParseCapability(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
		require.Equal(t, c.str, got.String(), c.in)
		again, err := ParseCapability(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again, "round trip of %q", c.in)
	}
}

func TestParseCapabilityErrors(t *testing.T) {
	for _, in := range []string{"", "   ", "no-such-pipeline", "99/model", "-1", "-2/x", "live-video-to-video/", "byoc", "37", "byoc/ ", "llm/\x00", "a\nb"} {
		_, err := ParseCapability(in)
		require.Error(t, err, "%q", in)
		require.True(t, errors.Is(err, ErrInvalidCapability), "%q: %v", in, err)
		var ce *CapabilityError
		require.True(t, errors.As(err, &ce), in)
		require.Equal(t, in, ce.Input)
		require.NotEmpty(t, ce.Reason)
	}
}

func TestCapabilityNames(t *testing.T) {
	require.Equal(t, "live-video-to-video", CapLiveVideoToVideo.Name())
	require.Equal(t, "byoc", CapBYOC.Name())
	require.Equal(t, "segment-anything-2", CapSegmentAnything2.Name())
	require.Equal(t, "99", CapabilityID(99).Name())
	require.Equal(t, "-2", CapInvalid.Name())
	for id := CapH264; id <= CapBYOC; id++ {
		require.True(t, id.Known())
		got, ok := CapabilityByName(id.Name())
		require.True(t, ok, id.Name())
		require.Equal(t, id, got)
	}
	require.False(t, CapabilityID(38).Known())
}

func TestCapabilityProto(t *testing.T) {
	c := Capability{CapLiveVideoToVideo, "streamdiffusion"}
	want := &lpnet.Capabilities{
		Bitstring:  []uint64{1 << 35},
		Capacities: map[uint32]uint32{35: 1},
		Constraints: &lpnet.Capabilities_Constraints{PerCapability: map[uint32]*lpnet.Capabilities_CapabilityConstraints{
			35: {Models: map[string]*lpnet.Capabilities_CapabilityConstraints_ModelConstraint{"streamdiffusion": {}}},
		}},
	}
	got := lpnet.CapabilitiesFor(int32(c.ID), c.Model)
	require.True(t, proto.Equal(want, got), "got %v", got)

	bare := lpnet.CapabilitiesFor(int32(CapLLM), "")
	require.Equal(t, []uint64{1 << 33}, bare.Bitstring)
	require.Nil(t, bare.Constraints)
	require.Nil(t, lpnet.CapabilitiesFor(int32(CapInvalid), ""))
	require.Equal(t, []uint64{1}, lpnet.CapabilitiesFor(0, "").Bitstring)

	high := lpnet.CapabilitiesFor(70, "m")
	require.Equal(t, []uint64{0, 1 << 6}, high.Bitstring)
	require.True(t, hasBit(high.Bitstring, 70))
	require.False(t, hasBit(high.Bitstring, 6))
	require.Equal(t, []CapabilityID{70}, bitsToIDs(high.Bitstring))
}

func TestDiscoveryKeys(t *testing.T) {
	keys := DiscoveryKeys(
		Capability{CapLiveVideoToVideo, "b"},
		Capability{CapTextToImage, "z"},
		Capability{CapLiveVideoToVideo, "a"},
		Capability{ID: CapLLM},
		Capability{CapBYOC, "echo"},
	)
	require.Equal(t, []string{"text-to-image/z", "live-video-to-video/a", "live-video-to-video/b"}, keys)
	require.Empty(t, DiscoveryKeys())
}
