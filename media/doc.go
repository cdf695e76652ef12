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
//   - [StartTestPattern], [StartFile], [StartCamera], [StartFilter], [FFprobe]: ffmpeg helpers.
//
// The package knows nothing of trickle, payments or orchestrators.
package media
