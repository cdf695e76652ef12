package streamdiffusion

import "slices"

// ModelID is the base diffusion model (params.py StreamDiffusionParams.model_id).
type ModelID string

// The model ids ai-runner accepts (params.py MODEL_ID_TO_TYPE).
const (
	SDTurbo       ModelID = "stabilityai/sd-turbo"      // sd21; the default
	SDXLTurbo     ModelID = "stabilityai/sdxl-turbo"    // sdxl
	OpenJourneyV4 ModelID = "prompthero/openjourney-v4" // sd15
	DreamShaper8  ModelID = "Lykon/dreamshaper-8"       // sd15
)

// ModelType is a base model's family; it decides which ControlNets and
// whether the IP-Adapter can be used (params.py ModelType).
type ModelType string

// The model types.
const (
	SD15 ModelType = "sd15"
	SD21 ModelType = "sd21"
	SDXL ModelType = "sdxl"
)

// ModelIDs returns every model id ai-runner accepts.
func ModelIDs() []ModelID { return []ModelID{SDTurbo, SDXLTurbo, OpenJourneyV4, DreamShaper8} }

// Type returns the model's type; false for an unknown model id.
func (m ModelID) Type() (ModelType, bool) {
	switch m {
	case SDTurbo:
		return SD21, true
	case SDXLTurbo:
		return SDXL, true
	case OpenJourneyV4, DreamShaper8:
		return SD15, true
	}
	return "", false
}

// ControlNetModelID is a ControlNet model (params.py ControlNetConfig.model_id).
type ControlNetModelID string

// The ControlNets ai-runner accepts, by model type (params.py CONTROLNETS_BY_TYPE).
const (
	ControlNetSD21OpenPose ControlNetModelID = "thibaud/controlnet-sd21-openpose-diffusers"
	ControlNetSD21HED      ControlNetModelID = "thibaud/controlnet-sd21-hed-diffusers"
	ControlNetSD21Canny    ControlNetModelID = "thibaud/controlnet-sd21-canny-diffusers"
	ControlNetSD21Depth    ControlNetModelID = "thibaud/controlnet-sd21-depth-diffusers"
	ControlNetSD21Color    ControlNetModelID = "thibaud/controlnet-sd21-color-diffusers"
	TemporalNetSD21        ControlNetModelID = "daydreamlive/TemporalNet2-stable-diffusion-2-1"

	ControlNetSD15Depth ControlNetModelID = "lllyasviel/control_v11f1p_sd15_depth"
	ControlNetSD15Tile  ControlNetModelID = "lllyasviel/control_v11f1e_sd15_tile"
	ControlNetSD15Canny ControlNetModelID = "lllyasviel/control_v11p_sd15_canny"
	TemporalNetSD15     ControlNetModelID = "daydreamlive/TemporalNet2-stable-diffusion-v1-5"

	ControlNetSDXLDepth ControlNetModelID = "xinsir/controlnet-depth-sdxl-1.0"
	ControlNetSDXLCanny ControlNetModelID = "xinsir/controlnet-canny-sdxl-1.0"
	ControlNetSDXLTile  ControlNetModelID = "xinsir/controlnet-tile-sdxl-1.0"
	TemporalNetSDXL     ControlNetModelID = "daydreamlive/TemporalNet2-stable-diffusion-xl-base-1.0"
)

// ControlNets returns the ControlNets a model type can use, in params.py's order.
func (t ModelType) ControlNets() []ControlNetModelID {
	switch t {
	case SD21:
		return []ControlNetModelID{ControlNetSD21OpenPose, ControlNetSD21HED, ControlNetSD21Canny, ControlNetSD21Depth, ControlNetSD21Color, TemporalNetSD21}
	case SD15:
		return []ControlNetModelID{ControlNetSD15Depth, ControlNetSD15Tile, ControlNetSD15Canny, TemporalNetSD15}
	case SDXL:
		return []ControlNetModelID{ControlNetSDXLDepth, ControlNetSDXLCanny, ControlNetSDXLTile, TemporalNetSDXL}
	}
	return nil
}

// SupportsIPAdapter reports whether the IP-Adapter can be enabled with
// models of this type (params.py IPADAPTER_SUPPORTED_TYPES: sd15, sdxl).
func (t ModelType) SupportsIPAdapter() bool { return t == SD15 || t == SDXL }

// MaxEnabledControlNets is how many ControlNets may be enabled at once; 0
// means no limit beyond the model type's list (params.py check_controlnets:
// SDXL at most 3, for VRAM).
func (t ModelType) MaxEnabledControlNets() int {
	if t == SDXL {
		return 3
	}
	return 0
}

// ControlNetModelIDs returns every ControlNet model id ai-runner accepts.
func ControlNetModelIDs() []ControlNetModelID {
	return slices.Concat(SD21.ControlNets(), SD15.ControlNets(), SDXL.ControlNets())
}

// ImageProcessor names an image processor: a ControlNet preprocessor, or a
// processor of ImagePreprocessing / ImagePostprocessing (params.py
// ImageProcessorName).
type ImageProcessor string

// The image processors.
const (
	ProcessorBlur                  ImageProcessor = "blur"
	ProcessorCanny                 ImageProcessor = "canny"
	ProcessorDepth                 ImageProcessor = "depth"
	ProcessorDepthTensorRT         ImageProcessor = "depth_tensorrt"
	ProcessorExternal              ImageProcessor = "external"
	ProcessorFeedback              ImageProcessor = "feedback"
	ProcessorHED                   ImageProcessor = "hed"
	ProcessorLineart               ImageProcessor = "lineart"
	ProcessorMediapipePose         ImageProcessor = "mediapipe_pose"
	ProcessorMediapipeSegmentation ImageProcessor = "mediapipe_segmentation"
	ProcessorOpenPose              ImageProcessor = "openpose"
	ProcessorPassthrough           ImageProcessor = "passthrough"
	ProcessorPoseTensorRT          ImageProcessor = "pose_tensorrt"
	ProcessorRealESRGANTRT         ImageProcessor = "realesrgan_trt" // 2× upscale: changes the output size
	ProcessorSharpen               ImageProcessor = "sharpen"
	ProcessorSoftEdge              ImageProcessor = "soft_edge"
	ProcessorStandardLineart       ImageProcessor = "standard_lineart"
	ProcessorTemporalNetTensorRT   ImageProcessor = "temporal_net_tensorrt"
	ProcessorUpscale               ImageProcessor = "upscale" // params.scale_factor (default 2.0): changes the output size
)

// ImageProcessors returns every image processor name.
func ImageProcessors() []ImageProcessor {
	return []ImageProcessor{ProcessorBlur, ProcessorCanny, ProcessorDepth, ProcessorDepthTensorRT, ProcessorExternal,
		ProcessorFeedback, ProcessorHED, ProcessorLineart, ProcessorMediapipePose, ProcessorMediapipeSegmentation,
		ProcessorOpenPose, ProcessorPassthrough, ProcessorPoseTensorRT, ProcessorRealESRGANTRT, ProcessorSharpen,
		ProcessorSoftEdge, ProcessorStandardLineart, ProcessorTemporalNetTensorRT, ProcessorUpscale}
}

// LatentProcessor names a processor of LatentPreprocessing /
// LatentPostprocessing (params.py LatentProcessorsName).
type LatentProcessor string

// ProcessorLatentFeedback blends the previous latent into the new one
// (params "feedback_strength", 0–1).
const ProcessorLatentFeedback LatentProcessor = "latent_feedback"

// LatentProcessors returns every latent processor name.
func LatentProcessors() []LatentProcessor { return []LatentProcessor{ProcessorLatentFeedback} }

// Interpolation is how weighted prompts or seeds are blended.
type Interpolation string

// The interpolation methods.
const (
	Linear Interpolation = "linear"
	Slerp  Interpolation = "slerp"
)

// Acceleration is the inference backend.
type Acceleration string

// The accelerations.
const (
	AccelerationNone     Acceleration = "none"
	AccelerationXFormers Acceleration = "xformers"
	AccelerationTensorRT Acceleration = "tensorrt" // the default
)

// IPAdapterType is the IP-Adapter variant.
type IPAdapterType string

// The IP-Adapter types.
const (
	IPAdapterRegular IPAdapterType = "regular" // style transfer; the default
	IPAdapterFaceID  IPAdapterType = "faceid"  // face-specific style transfer
)

// WeightType is the IP-Adapter's per-layer weight distribution.
type WeightType string

// The weight types.
const (
	WeightLinear               WeightType = "linear" // the default
	WeightEaseIn               WeightType = "ease in"
	WeightEaseOut              WeightType = "ease out"
	WeightEaseInOut            WeightType = "ease in-out"
	WeightReverseInOut         WeightType = "reverse in-out"
	WeightWeakInput            WeightType = "weak input"
	WeightWeakOutput           WeightType = "weak output"
	WeightWeakMiddle           WeightType = "weak middle"
	WeightStrongMiddle         WeightType = "strong middle"
	WeightStyleTransfer        WeightType = "style transfer"
	WeightComposition          WeightType = "composition"
	WeightStrongStyleTransfer  WeightType = "strong style transfer"
	WeightStyleAndComposition  WeightType = "style and composition"
	WeightStyleTransferPrecise WeightType = "style transfer precise"
	WeightCompositionPrecise   WeightType = "composition precise"
)

// WeightTypes returns every weight type.
func WeightTypes() []WeightType {
	return []WeightType{WeightLinear, WeightEaseIn, WeightEaseOut, WeightEaseInOut, WeightReverseInOut, WeightWeakInput,
		WeightWeakOutput, WeightWeakMiddle, WeightStrongMiddle, WeightStyleTransfer, WeightComposition,
		WeightStrongStyleTransfer, WeightStyleAndComposition, WeightStyleTransferPrecise, WeightCompositionPrecise}
}

// The deprecated IP-Adapter path choices (params.py IPAdapterConfig; ai-runner
// ignores them and derives the paths from Type and the model type).
var (
	ipAdapterModelPaths = []string{"h94/IP-Adapter/models/ip-adapter_sd15.bin", "h94/IP-Adapter/sdxl_models/ip-adapter_sdxl.bin",
		"h94/IP-Adapter-FaceID/ip-adapter-faceid_sd15.bin", "h94/IP-Adapter-FaceID/ip-adapter-faceid_sdxl.bin"}
	imageEncoderPaths     = []string{"h94/IP-Adapter/models/image_encoder", "h94/IP-Adapter/sdxl_models/image_encoder"}
	insightFaceModelNames = []string{"buffalo_l"}
)
