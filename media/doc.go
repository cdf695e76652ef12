// Package media turns H.264 (and AAC) access units into self-contained MPEG-TS
// segments and back, re-segments MPEG-TS byte streams at keyframes, and runs
// ffmpeg/ffprobe for sources a Go program cannot encode itself.
//
// Timestamps are 90 kHz ticks (the MPEG-TS clock), see [ClockRate], [Ticks]
// and [TicksToDuration].
//
// The building blocks:
//
//   - [Segmenter]: access units in, one MPEG-TS segment per GOP out, streamed into a
//     [SegmentSink] (for example a trickle publisher adapted with [SinkFunc]).
//   - [Resegment]: an MPEG-TS byte stream (a file, ffmpeg's stdout) in, GOP-aligned
//     segments out.
//   - [Demuxer]: MPEG-TS bytes in, [Packet]s out.
//   - [ContinuousWriter]: segments in, one continuous playable .ts stream out.
//   - [Timeline]: keeps timestamps monotonic across segments, restarts and reconnects.
//   - [FrameEncoder]: image.Image (or raw RGBA / YUV 4:2:0) frames in at a frame rate,
//     H.264 MPEG-TS segments out into a [SegmentSink] (a live session's input).
//   - [FrameDecoder], [DecodeFrames]: MPEG-TS segments (a live session's output) in,
//     RGBA [Frame]s with timestamps out.
//   - [StartTestPattern], [StartFile], [StartCamera], [StartFilter], [FFprobe]: ffmpeg helpers.
//
// The frame encoder and decoder run ffmpeg (5.1 or later) as a subprocess:
// memory stays bounded (a slow consumer blocks the producer), every process
// is killed when its ctx ends and reaped by Close, and a missing binary is
// ErrFFmpegNotFound.
//
// The package knows nothing of trickle, payments or orchestrators.
package media
