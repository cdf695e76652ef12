package streamdiffusion

import "encoding/json"

// Params is ai-runner's StreamDiffusion parameter set
// (live/streamdiffusion/pipeline/params.py StreamDiffusionParams at
// ai-runner 50a742c, with width, height and show_reloading_frame from
// runner/src/runner/live/pipelines/interface.py BaseParams).
//
// Every field is optional: an unset field is left out of the JSON and
// ai-runner applies the default given in its comment. ai-runner validates
// each parameter message as a whole new StreamDiffusionParams, so a field
// left out of an update goes back to its default (not to its previous
// value): send the whole set each time, model_id included.
//
// Fields are in ai-runner's order, which is also the JSON's. Whether a change
// applies live or reloads the pipeline is in the package documentation and
// [Diff].
type Params struct {
	// Width and Height of the output in pixels: 384–1024, multiples of 64
	// [512]. Cannot change mid-stream.
	Width  Opt[int] `json:"width"`
	Height Opt[int] `json:"height"`
	// ShowReloadingFrame shows a loading overlay while the pipeline (re)loads [true].
	ShowReloadingFrame Opt[bool] `json:"show_reloading_frame"`

	// ModelID is the base model [SDTurbo]. "" leaves it unset.
	ModelID ModelID `json:"model_id"`
	// Prompt is a text or a weighted blend of texts ["flowers"].
	Prompt Prompt `json:"prompt"`
	// PromptInterpolationMethod blends weighted prompts [Slerp].
	PromptInterpolationMethod Interpolation `json:"prompt_interpolation_method"`
	// NormalizePromptWeights scales prompt weights to sum to 1 [true].
	NormalizePromptWeights Opt[bool] `json:"normalize_prompt_weights"`
	// NegativePrompt is what to avoid ["blurry, low quality, flat, 2d"].
	NegativePrompt Opt[string] `json:"negative_prompt"`
	// GuidanceScale is the prompt adherence [1.0]; ai-runner sets no range.
	GuidanceScale Opt[float64] `json:"guidance_scale"`
	// Delta is the per-frame denoising progress [0.7]; no range.
	Delta Opt[float64] `json:"delta"`
	// NumInferenceSteps is the denoising schedule's length, 1–100 [50].
	NumInferenceSteps Opt[int] `json:"num_inference_steps"`
	// TIndexList are the schedule steps run per frame: 1–4 non-decreasing
	// values in 0..NumInferenceSteps [12, 20, 32]. nil leaves it unset.
	TIndexList []int `json:"t_index_list"`

	// LoRADict maps LoRA models to weights [null].
	LoRADict Opt[LoRAs] `json:"lora_dict" sd:"nullable"`
	// UseLCMLoRA adds the LCM LoRA of the model type (not to turbo models) [true].
	UseLCMLoRA Opt[bool] `json:"use_lcm_lora"`
	// LCMLoRAID ["latent-consistency/lcm-lora-sdv1-5"].
	LCMLoRAID Opt[string] `json:"lcm_lora_id"`
	// Acceleration is the inference backend [AccelerationTensorRT].
	Acceleration Acceleration `json:"acceleration"`
	// UseSafetyChecker filters NSFW output [true].
	UseSafetyChecker Opt[bool] `json:"use_safety_checker"`
	// SafetyCheckerThreshold: higher lets more through [0.5].
	SafetyCheckerThreshold Opt[float64] `json:"safety_checker_threshold"`
	// UseDenoisingBatch runs the denoising steps as one batch [true].
	UseDenoisingBatch Opt[bool] `json:"use_denoising_batch"`
	// DoAddNoise re-noises each input frame slightly [true].
	DoAddNoise Opt[bool] `json:"do_add_noise"`
	// SkipDiffusion runs only the pre/post-processors [false].
	SkipDiffusion Opt[bool] `json:"skip_diffusion"`
	// Seed is one seed or a weighted blend [789].
	Seed Seed `json:"seed"`
	// SeedInterpolationMethod blends weighted seeds [Linear].
	SeedInterpolationMethod Interpolation `json:"seed_interpolation_method"`
	// NormalizeSeedWeights scales seed weights to sum to 1 [true].
	NormalizeSeedWeights Opt[bool] `json:"normalize_seed_weights"`
	// EnableSimilarImageFilter skips output frames too like the last [false].
	EnableSimilarImageFilter Opt[bool] `json:"enable_similar_image_filter"`
	// SimilarImageFilterThreshold [0.98].
	SimilarImageFilterThreshold Opt[float64] `json:"similar_image_filter_threshold"`
	// SimilarImageFilterMaxSkipFrame [10].
	SimilarImageFilterMaxSkipFrame Opt[int] `json:"similar_image_filter_max_skip_frame"`

	// ControlNets guide generation; each model id at most once, from the
	// model type's list; SDXL at most 3 enabled [none]. nil leaves it unset.
	ControlNets []ControlNet `json:"controlnets"`
	// IPAdapter is the style-transfer adapter, for sd15 and sdxl models
	// [disabled]. nil leaves it unset; a set IPAdapter is enabled unless its
	// Enabled says otherwise.
	IPAdapter *IPAdapter `json:"ip_adapter"`
	// IPAdapterStyleImageURL is the style image: an http(s) URL, a data URI
	// or raw base64 ["https://storage.googleapis.com/lp-ai-assets/ipadapter_style_imgs/textures/vortex.jpeg"].
	IPAdapterStyleImageURL Opt[string] `json:"ip_adapter_style_image_url"`

	// ImagePreprocessing, ImagePostprocessing, LatentPreprocessing and
	// LatentPostprocessing are processor chains [null]. An enabled upscale or
	// realesrgan_trt post-processor changes the output size, which cannot
	// change mid-stream.
	ImagePreprocessing   Opt[ImageProcessing]  `json:"image_preprocessing" sd:"nullable"`
	ImagePostprocessing  Opt[ImageProcessing]  `json:"image_postprocessing" sd:"nullable"`
	LatentPreprocessing  Opt[LatentProcessing] `json:"latent_preprocessing" sd:"nullable"`
	LatentPostprocessing Opt[LatentProcessing] `json:"latent_postprocessing" sd:"nullable"`

	// CachedAttention is StreamV2V's cached attention [disabled]. nil leaves it
	// unset; a set CachedAttention is enabled unless its Enabled says otherwise.
	CachedAttention *CachedAttention `json:"cached_attention"`
}

// ControlNet is one ControlNet (params.py ControlNetConfig).
type ControlNet struct {
	// ModelID is required and must be in the base model type's list.
	ModelID ControlNetModelID `json:"model_id"`
	// ConditioningScale is the ControlNet's strength [1.0]; 0 disables its
	// effect. The only ControlNet field that updates live.
	ConditioningScale Opt[float64] `json:"conditioning_scale"`
	// ConditioningChannels, 1–6 or null [null: ai-runner derives 6 for
	// TemporalNets, 3 otherwise]. Clients should leave it unset.
	ConditioningChannels Opt[int] `json:"conditioning_channels" sd:"nullable"`
	// Preprocessor prepares frames for the ControlNet [ProcessorPassthrough].
	Preprocessor ImageProcessor `json:"preprocessor"`
	// PreprocessorParams is a JSON object of the preprocessor's parameters,
	// e.g. {"low_threshold":100,"high_threshold":200} for canny [{}]. It is
	// kept as given (key order included).
	PreprocessorParams json.RawMessage `json:"preprocessor_params"`
	// Enabled [true]; a disabled ControlNet is not loaded.
	Enabled Opt[bool] `json:"enabled"`
	// ControlGuidanceStart and ControlGuidanceEnd are the fractions of the
	// denoising when guidance begins and ends [0.0, 1.0].
	ControlGuidanceStart Opt[float64] `json:"control_guidance_start"`
	ControlGuidanceEnd   Opt[float64] `json:"control_guidance_end"`
}

// IPAdapter configures the IP-Adapter (params.py IPAdapterConfig).
type IPAdapter struct {
	// Type [IPAdapterRegular].
	Type IPAdapterType `json:"type"`
	// IPAdapterModelPath and ImageEncoderPath are deprecated and ignored by
	// ai-runner (it derives them from Type and the model type); null or one
	// of params.py's choices [null].
	IPAdapterModelPath Opt[string] `json:"ipadapter_model_path" sd:"nullable"`
	ImageEncoderPath   Opt[string] `json:"image_encoder_path" sd:"nullable"`
	// InsightFaceModelName is used by FaceID: "buffalo_l" or null ["buffalo_l"].
	InsightFaceModelName Opt[string] `json:"insightface_model_name" sd:"nullable"`
	// Scale is the strength: 0 off, 1 normal, 2 strong [1.0].
	Scale Opt[float64] `json:"scale"`
	// WeightType is the per-layer weighting, or null [WeightLinear].
	WeightType Opt[WeightType] `json:"weight_type" sd:"nullable"`
	// Enabled [true for a set IPAdapter].
	Enabled Opt[bool] `json:"enabled"`
}

// CachedAttention configures StreamV2V cached attention (params.py
// CachedAttentionConfig). Enabled needs acceleration "tensorrt" and
// 512×512; with SDXL, 1–3 denoising steps and at most 4, 2 or 1 frames.
type CachedAttention struct {
	// Enabled [true for a set CachedAttention].
	Enabled Opt[bool] `json:"enabled"`
	// MaxFrames is how many past frames' keys/values are kept, 1–4 [1].
	MaxFrames Opt[int] `json:"max_frames"`
	// Interval is how often, in frames, the cache is refreshed, 1–1440 [1].
	Interval Opt[int] `json:"interval"`
}

// ProcessorName is an image or latent processor name.
type ProcessorName interface {
	ImageProcessor | LatentProcessor
}

// Processing is a processor chain (params.py ProcessingConfig).
type Processing[T ProcessorName] struct {
	// Enabled [true]; a disabled chain runs no processor.
	Enabled Opt[bool] `json:"enabled"`
	// Processors run in order [none]. nil leaves it unset.
	Processors []Processor[T] `json:"processors"`
}

// Processor is one processor of a chain (params.py SingleProcessorConfig).
type Processor[T ProcessorName] struct {
	// Type is required.
	Type T `json:"type"`
	// Enabled [true].
	Enabled Opt[bool] `json:"enabled"`
	// Params is a JSON object of the processor's parameters [{}], kept as given.
	Params json.RawMessage `json:"params"`
}

// ImageProcessing is an image processor chain.
type ImageProcessing = Processing[ImageProcessor]

// LatentProcessing is a latent processor chain.
type LatentProcessing = Processing[LatentProcessor]
