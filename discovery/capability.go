package discovery

import (
	"sort"
	"strconv"
	"strings"
)

// CapabilityID is a go-livepeer capability number (core/capabilities.go).
type CapabilityID int32

// Capability ids, as numbered by go-livepeer's core/capabilities.go.
const (
	CapInvalid              CapabilityID = -2
	CapUnused               CapabilityID = -1
	CapH264                 CapabilityID = 0
	CapMPEGTS               CapabilityID = 1
	CapMP4                  CapabilityID = 2
	CapFractionalFramerates CapabilityID = 3
	CapStorageDirect        CapabilityID = 4
	CapStorageS3            CapabilityID = 5
	CapStorageGCS           CapabilityID = 6
	CapProfileH264Baseline  CapabilityID = 7
	CapProfileH264Main      CapabilityID = 8
	CapProfileH264High      CapabilityID = 9
	CapProfileH264CHigh     CapabilityID = 10
	CapGOP                  CapabilityID = 11
	CapAuthToken            CapabilityID = 12
	CapSceneClassification  CapabilityID = 13 // deprecated, kept for numbering
	CapMPEG7VideoSignature  CapabilityID = 14
	CapHEVCDecode           CapabilityID = 15
	CapHEVCEncode           CapabilityID = 16
	CapVP8Decode            CapabilityID = 17
	CapVP9Decode            CapabilityID = 18
	CapVP8Encode            CapabilityID = 19
	CapVP9Encode            CapabilityID = 20
	CapH264Decode444_8bit   CapabilityID = 21
	CapH264Decode422_8bit   CapabilityID = 22
	CapH264Decode444_10bit  CapabilityID = 23
	CapH264Decode422_10bit  CapabilityID = 24
	CapH264Decode420_10bit  CapabilityID = 25
	CapSegmentSlicing       CapabilityID = 26
	CapTextToImage          CapabilityID = 27
	CapImageToImage         CapabilityID = 28
	CapImageToVideo         CapabilityID = 29
	CapUpscale              CapabilityID = 30
	CapAudioToText          CapabilityID = 31
	CapSegmentAnything2     CapabilityID = 32
	CapLLM                  CapabilityID = 33
	CapImageToText          CapabilityID = 34
	CapLiveVideoToVideo     CapabilityID = 35
	CapTextToSpeech         CapabilityID = 36
	CapBYOC                 CapabilityID = 37
	maxKnownCap                          = CapBYOC
	firstKnownCap                        = CapH264
)

// capNames are the pipeline names: the lower-cased go-livepeer enum names
// with "_" replaced by "-" (the Python SDK's capability_pipeline_id). For the
// AI pipelines they are the names go-livepeer's gateway uses in URLs and
// discovery keys ("live-video-to-video", "text-to-image", "llm", ...).
var capNames = [...]string{
	CapH264:                 "h264",
	CapMPEGTS:               "mpegts",
	CapMP4:                  "mp4",
	CapFractionalFramerates: "fractional-framerates",
	CapStorageDirect:        "storage-direct",
	CapStorageS3:            "storage-s3",
	CapStorageGCS:           "storage-gcs",
	CapProfileH264Baseline:  "h264-baseline-profile",
	CapProfileH264Main:      "h264-main-profile",
	CapProfileH264High:      "h264-high-profile",
	CapProfileH264CHigh:     "h264-constrained-contained-high-profile",
	CapGOP:                  "gop",
	CapAuthToken:            "auth-token",
	CapSceneClassification:  "scene-classification",
	CapMPEG7VideoSignature:  "mpeg7-signature",
	CapHEVCDecode:           "hevc-decode",
	CapHEVCEncode:           "hevc-encode",
	CapVP8Decode:            "vp8-decode",
	CapVP9Decode:            "vp9-decode",
	CapVP8Encode:            "vp8-encode",
	CapVP9Encode:            "vp9-encode",
	CapH264Decode444_8bit:   "h264-decode-yuv444-8bit",
	CapH264Decode422_8bit:   "h264-decode-yuv422-8bit",
	CapH264Decode444_10bit:  "h264-decode-yuv444-10bit",
	CapH264Decode422_10bit:  "h264-decode-yuv422-10bit",
	CapH264Decode420_10bit:  "h264-decode-yuv420-10bit",
	CapSegmentSlicing:       "segment-slicing",
	CapTextToImage:          "text-to-image",
	CapImageToImage:         "image-to-image",
	CapImageToVideo:         "image-to-video",
	CapUpscale:              "upscale",
	CapAudioToText:          "audio-to-text",
	CapSegmentAnything2:     "segment-anything-2",
	CapLLM:                  "llm",
	CapImageToText:          "image-to-text",
	CapLiveVideoToVideo:     "live-video-to-video",
	CapTextToSpeech:         "text-to-speech",
	CapBYOC:                 "byoc",
}

// Name returns the pipeline name of id ("live-video-to-video" for 35), or
// its decimal number when the id is unknown.
func (id CapabilityID) Name() string {
	if id >= firstKnownCap && id <= maxKnownCap {
		return capNames[id]
	}
	return strconv.Itoa(int(id))
}

// String is Name.
func (id CapabilityID) String() string { return id.Name() }

// Known reports whether id is a capability go-livepeer defines (0..37).
func (id CapabilityID) Known() bool { return id >= firstKnownCap && id <= maxKnownCap }

// CapabilityByName returns the id of a pipeline name (case-insensitive, "_"
// and "-" equivalent). ok is false for an unknown name.
func CapabilityByName(name string) (id CapabilityID, ok bool) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "-")
	for i, s := range capNames {
		if s == n {
			return CapabilityID(i), true
		}
	}
	return CapInvalid, false
}

// Capability is what a job asks orchestrators for: a capability id and, for
// AI pipelines, a model id ("streamdiffusion"); for BYOC (37) Model is the
// registered BYOC capability name ("text-reversal"). APIs that take an
// optional capability use *Capability, nil meaning "no filter" (the zero
// value is H.264 transcoding, id 0). Capability is a small value type, safe
// to copy.
type Capability struct {
	ID    CapabilityID
	Model string
}

// String returns "pipeline/model", or "pipeline" without a model.
func (c Capability) String() string {
	if c.Model == "" {
		return c.ID.Name()
	}
	return c.ID.Name() + "/" + c.Model
}

// IsBYOC reports whether c is a BYOC capability (id 37).
func (c Capability) IsBYOC() bool { return c.ID == CapBYOC }

// ParseCapability parses "pipeline/model" ("live-video-to-video/streamdiffusion",
// "byoc/text-reversal"), a bare pipeline ("live-video-to-video") or a numeric
// id with an optional model ("35/streamdiffusion"). The pipeline is
// case-insensitive. The model is kept as given (it may itself contain "/",
// e.g. Hugging Face ids "text-to-image/stabilityai/sd-turbo"). An empty
// string, an unknown pipeline, an out-of-range id, a blank model after "/",
// a BYOC capability without a name or a string with control characters gives
// a *CapabilityError (errors.Is(err, ErrInvalidCapability)).
func ParseCapability(s string) (Capability, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Capability{}, &CapabilityError{Input: in, Reason: "empty capability"}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Capability{}, &CapabilityError{Input: in, Reason: "control character in capability"}
		}
	}
	pipe, model, hasModel := strings.Cut(s, "/")
	pipe = strings.TrimSpace(pipe)
	model = strings.TrimSpace(model)
	if hasModel && model == "" {
		return Capability{}, &CapabilityError{Input: in, Reason: "empty model after \"/\""}
	}
	var id CapabilityID
	if n, err := strconv.Atoi(pipe); err == nil {
		if n < int(firstKnownCap) || n > int(maxKnownCap) {
			return Capability{}, &CapabilityError{Input: in, Reason: "capability id " + pipe + " is not one go-livepeer defines (0-37)"}
		}
		id = CapabilityID(n)
	} else {
		var ok bool
		if id, ok = CapabilityByName(pipe); !ok {
			return Capability{}, &CapabilityError{Input: in, Reason: "unknown pipeline " + strconv.Quote(pipe)}
		}
	}
	if id == CapBYOC && model == "" {
		return Capability{}, &CapabilityError{Input: in, Reason: "a BYOC capability needs a name: byoc/<name>"}
	}
	return Capability{ID: id, Model: model}, nil
}

// DiscoveryKeys returns the "pipeline/model" keys a discovery endpoint
// filters on (the repeated caps= query parameter of go-livepeer's
// /discover-orchestrators), sorted by id then model, as the Python SDK sends
// them. A Capability without a model gives no key (the endpoints index by
// pipeline and model), and neither does a BYOC capability: go-livepeer's
// remote discovery builds its keys from the orchestrators' model
// constraints, where BYOC capabilities never appear, so a byoc/<name> filter
// would hide every orchestrator (the Python BYOC branch sends it anyway).
func DiscoveryKeys(caps ...Capability) []string {
	sorted := append([]Capability(nil), caps...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].ID != sorted[j].ID {
			return sorted[i].ID < sorted[j].ID
		}
		return sorted[i].Model < sorted[j].Model
	})
	var keys []string
	for _, c := range sorted {
		if c.Model == "" || c.ID == CapBYOC {
			continue
		}
		keys = append(keys, c.ID.Name()+"/"+c.Model)
	}
	return keys
}

// hasBit reports whether bit id is set in a go-livepeer capability bitstring.
func hasBit(bits []uint64, id CapabilityID) bool {
	if id < 0 {
		return false
	}
	w := int(id) / 64
	return w < len(bits) && bits[w]&(1<<(uint(id)%64)) != 0
}

// bitsToIDs lists the ids set in a bitstring, ascending.
func bitsToIDs(bits []uint64) []CapabilityID {
	var ids []CapabilityID
	for w, word := range bits {
		for b := 0; b < 64; b++ {
			if word&(1<<uint(b)) != 0 {
				ids = append(ids, CapabilityID(w*64+b))
			}
		}
	}
	return ids
}
