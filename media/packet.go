package media

import (
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// ClockRate is the MPEG-TS clock: every PTS and DTS in this package counts
// ticks of 1/90000 s.
const ClockRate = 90000

// Ticks converts a duration to 90 kHz ticks, rounding to the nearest tick.
func Ticks(d time.Duration) int64 {
	if d < 0 {
		return -Ticks(-d)
	}
	return (int64(d)*ClockRate + int64(time.Second)/2) / int64(time.Second)
}

// TicksToDuration converts 90 kHz ticks to a duration.
func TicksToDuration(t int64) time.Duration {
	sec := t / ClockRate
	rem := t % ClockRate
	return time.Duration(sec)*time.Second + time.Duration(rem*int64(time.Second)/ClockRate)
}

// Codec names the codec of a [Packet].
type Codec int

const (
	// CodecH264 is H.264 video; packet data is one Annex-B access unit.
	CodecH264 Codec = iota + 1
	// CodecAAC is MPEG-4 AAC audio; packet data is one raw AAC frame (no ADTS header).
	CodecAAC
)

// String returns "h264", "aac" or "codec(N)".
func (c Codec) String() string {
	switch c {
	case CodecH264:
		return "h264"
	case CodecAAC:
		return "aac"
	}
	return fmt.Sprintf("codec(%d)", int(c))
}

// Packet is one access unit of one track.
type Packet struct {
	Codec Codec
	// PTS is the presentation timestamp in 90 kHz ticks.
	PTS int64
	// DTS is the decode timestamp in 90 kHz ticks (equal to PTS for audio and
	// for video without B-frames).
	DTS int64
	// Data is the payload: for H.264 an Annex-B access unit (4-byte start codes
	// when produced by this package, access unit delimiters removed); for AAC one
	// raw frame.
	Data []byte
	// Keyframe reports an H.264 IDR access unit (always true for AAC).
	Keyframe bool
}

// AudioConfig describes an AAC track.
type AudioConfig struct {
	// SampleRate in Hz, e.g. 48000.
	SampleRate int
	// Channels is the channel count, 1 to 6 or 8.
	Channels int
	// ObjectType is the MPEG-4 audio object type; 0 means 2 (AAC-LC).
	ObjectType int
}

// frameTicks returns the duration of one 1024-sample AAC frame in 90 kHz ticks.
func (c AudioConfig) frameTicks() int64 {
	if c.SampleRate <= 0 {
		return 0
	}
	return 1024 * ClockRate / int64(c.SampleRate)
}

func (c AudioConfig) validate() error {
	if c.SampleRate <= 0 || c.SampleRate > 96000 {
		return fmt.Errorf("media: AudioConfig.SampleRate %d: must be in (0, 96000]", c.SampleRate)
	}
	if c.Channels < 1 || c.Channels > 8 || c.Channels == 7 {
		return fmt.Errorf("media: AudioConfig.Channels %d: must be 1-6 or 8", c.Channels)
	}
	return nil
}

// splitAnnexB parses an Annex-B access unit into NAL units without start codes,
// dropping empty NAL units and access unit delimiters. It returns an error
// wrapping ErrInvalidAccessUnit if nothing usable remains.
func splitAnnexB(b []byte) ([][]byte, error) {
	var au h264.AnnexB
	if err := au.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAccessUnit, err)
	}
	out := au[:0]
	for _, n := range au {
		if len(n) == 0 || h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no NAL units", ErrInvalidAccessUnit)
	}
	return out, nil
}

// joinAnnexB marshals NAL units into an Annex-B access unit with 4-byte start codes.
func joinAnnexB(nalus [][]byte) []byte {
	b, _ := h264.AnnexB(nalus).Marshal() // never fails
	return b
}
