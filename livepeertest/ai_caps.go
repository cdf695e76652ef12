package livepeertest

// Toy models of the built-in batch AI pipelines (go-livepeer's default model
// ids, server/ai_process.go:32-41 at master 176aa415ccea4f9861e0dd44e981cda17fb36f52).
const (
	AIModelTextToImage      = "stabilityai/sdxl-turbo"
	AIModelImageToImage     = "stabilityai/sdxl-turbo"
	AIModelImageToVideo     = "stabilityai/stable-video-diffusion-img2vid-xt"
	AIModelUpscale          = "stabilityai/stable-diffusion-x4-upscaler"
	AIModelAudioToText      = "openai/whisper-large-v3"
	AIModelSegmentAnything2 = "facebook/sam2-hiera-large"
	AIModelLLM              = "meta-llama/llama-3.1-8B-Instruct"
	AIModelImageToText      = "Salesforce/blip-image-captioning-large"
	AIModelTextToSpeech     = "parler-tts/parler-tts-large-v1"
)

// DefaultAICapabilities returns the built-in batch AI pipelines every
// orchestrator of a default network serves, one toy model each, with prices
// in wei per unit of what handleAIRequest charges (pixels, milliseconds of
// audio, tokens, 1000×characters). With the default ticket EV of 10^12 wei a
// default-sized call costs one to three tickets, and every default-sized
// call stays under the signer's default MaxTotalEV of 20 tickets.
func DefaultAICapabilities() []CapabilitySpec {
	return []CapabilitySpec{
		{Name: "text-to-image/" + AIModelTextToImage, PricePerUnit: 2_000_000, PixelsPerUnit: 1, Capacity: 4},
		{Name: "image-to-image/" + AIModelImageToImage, PricePerUnit: 2_000_000, PixelsPerUnit: 1, Capacity: 4},
		{Name: "image-to-video/" + AIModelImageToVideo, PricePerUnit: 100_000, PixelsPerUnit: 1, Capacity: 2},
		{Name: "upscale/" + AIModelUpscale, PricePerUnit: 2_000_000, PixelsPerUnit: 1, Capacity: 4},
		{Name: "audio-to-text/" + AIModelAudioToText, PricePerUnit: 100_000_000, PixelsPerUnit: 1, Capacity: 4},
		{Name: "segment-anything-2/" + AIModelSegmentAnything2, PricePerUnit: 1_000_000, PixelsPerUnit: 1, Capacity: 4},
		{Name: "llm/" + AIModelLLM, PricePerUnit: 5_000_000_000, PixelsPerUnit: 1, Capacity: 4},
		{Name: "image-to-text/" + AIModelImageToText, PricePerUnit: 1_000_000, PixelsPerUnit: 1, Capacity: 4},
		{Name: "text-to-speech/" + AIModelTextToSpeech, PricePerUnit: 10_000_000, PixelsPerUnit: 1, Capacity: 4},
	}
}

// isBatchAI reports whether a capability id is one of the batch AI pipelines (27-34, 36).
func isBatchAI(id uint32) bool { return (id >= 27 && id <= 34) || id == 36 }
