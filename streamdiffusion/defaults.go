package streamdiffusion

import (
	"encoding/json"
	"slices"
)

// ai-runner's defaults (params.py at 50a742c; width and height from
// runner/live/trickle/frame.py DEFAULT_WIDTH/DEFAULT_HEIGHT).
const (
	DefaultWidth             = 512
	DefaultHeight            = 512
	DefaultModelID           = SDTurbo
	DefaultPrompt            = "flowers"
	DefaultNegativePrompt    = "blurry, low quality, flat, 2d"
	DefaultGuidanceScale     = 1.0
	DefaultDelta             = 0.7
	DefaultNumInferenceSteps = 50
	DefaultSeed              = 789
	DefaultLCMLoRAID         = "latent-consistency/lcm-lora-sdv1-5"
	DefaultStyleImageURL     = "https://storage.googleapis.com/lp-ai-assets/ipadapter_style_imgs/textures/vortex.jpeg"
)

// DefaultTIndexList returns ai-runner's default t_index_list, [12, 20, 32].
func DefaultTIndexList() []int { return []int{12, 20, 32} }

// Defaults returns ai-runner's default parameter set with every field set,
// as ai-runner holds it when a message sets nothing.
func Defaults() Params { return Params{}.WithDefaults() }

// WithDefaults returns p with every unset field set to ai-runner's default
// (nested ones too): the parameter set ai-runner runs when it receives p.
// Its JSON is params.py's model_dump_json(). Fields set to null stay null.
func (p Params) WithDefaults() Params {
	def(&p.Width, DefaultWidth)
	def(&p.Height, DefaultHeight)
	def(&p.ShowReloadingFrame, true)
	defString(&p.ModelID, DefaultModelID)
	if !p.Prompt.IsSet() {
		p.Prompt = PromptText(DefaultPrompt)
	}
	defString(&p.PromptInterpolationMethod, Slerp)
	def(&p.NormalizePromptWeights, true)
	def(&p.NegativePrompt, DefaultNegativePrompt)
	def(&p.GuidanceScale, DefaultGuidanceScale)
	def(&p.Delta, DefaultDelta)
	def(&p.NumInferenceSteps, DefaultNumInferenceSteps)
	if p.TIndexList == nil {
		p.TIndexList = DefaultTIndexList()
	} else {
		p.TIndexList = slices.Clone(p.TIndexList)
	}
	if !p.LoRADict.IsSet() {
		p.LoRADict = Null[LoRAs]()
	}
	def(&p.UseLCMLoRA, true)
	def(&p.LCMLoRAID, DefaultLCMLoRAID)
	defString(&p.Acceleration, AccelerationTensorRT)
	def(&p.UseSafetyChecker, true)
	def(&p.SafetyCheckerThreshold, 0.5)
	def(&p.UseDenoisingBatch, true)
	def(&p.DoAddNoise, true)
	def(&p.SkipDiffusion, false)
	if !p.Seed.IsSet() {
		p.Seed = SeedValue(DefaultSeed)
	}
	defString(&p.SeedInterpolationMethod, Linear)
	def(&p.NormalizeSeedWeights, true)
	def(&p.EnableSimilarImageFilter, false)
	def(&p.SimilarImageFilterThreshold, 0.98)
	def(&p.SimilarImageFilterMaxSkipFrame, 10)
	cns := make([]ControlNet, len(p.ControlNets))
	for i, c := range p.ControlNets {
		cns[i] = c.WithDefaults()
	}
	p.ControlNets = cns
	ip := IPAdapter{Enabled: Bool(false)} // params.py: IPAdapterConfig(enabled=False)
	if p.IPAdapter != nil {
		ip = *p.IPAdapter
	}
	ip = ip.WithDefaults()
	p.IPAdapter = &ip
	def(&p.IPAdapterStyleImageURL, DefaultStyleImageURL)
	p.ImagePreprocessing = defProcessing(p.ImagePreprocessing)
	p.ImagePostprocessing = defProcessing(p.ImagePostprocessing)
	p.LatentPreprocessing = defProcessing(p.LatentPreprocessing)
	p.LatentPostprocessing = defProcessing(p.LatentPostprocessing)
	ca := CachedAttention{Enabled: Bool(false)} // params.py: CachedAttentionConfig(enabled=False)
	if p.CachedAttention != nil {
		ca = *p.CachedAttention
	}
	ca = ca.WithDefaults()
	p.CachedAttention = &ca
	return p
}

// WithDefaults returns c with unset fields set to ai-runner's defaults.
func (c ControlNet) WithDefaults() ControlNet {
	def(&c.ConditioningScale, 1.0)
	if !c.ConditioningChannels.IsSet() {
		c.ConditioningChannels = Null[int]()
	}
	defString(&c.Preprocessor, ProcessorPassthrough)
	if c.PreprocessorParams == nil {
		c.PreprocessorParams = json.RawMessage(`{}`)
	}
	def(&c.Enabled, true)
	def(&c.ControlGuidanceStart, 0.0)
	def(&c.ControlGuidanceEnd, 1.0)
	return c
}

// WithDefaults returns a with unset fields set to ai-runner's defaults.
func (a IPAdapter) WithDefaults() IPAdapter {
	defString(&a.Type, IPAdapterRegular)
	if !a.IPAdapterModelPath.IsSet() {
		a.IPAdapterModelPath = Null[string]()
	}
	if !a.ImageEncoderPath.IsSet() {
		a.ImageEncoderPath = Null[string]()
	}
	def(&a.InsightFaceModelName, "buffalo_l")
	def(&a.Scale, 1.0)
	def(&a.WeightType, WeightLinear)
	def(&a.Enabled, true)
	return a
}

// WithDefaults returns c with unset fields set to ai-runner's defaults.
func (c CachedAttention) WithDefaults() CachedAttention {
	def(&c.Enabled, true)
	def(&c.MaxFrames, 1)
	def(&c.Interval, 1)
	return c
}

// WithDefaults returns p with unset fields set to ai-runner's defaults.
func (p Processing[T]) WithDefaults() Processing[T] {
	def(&p.Enabled, true)
	procs := make([]Processor[T], len(p.Processors))
	for i, pr := range p.Processors {
		def(&pr.Enabled, true)
		if pr.Params == nil {
			pr.Params = json.RawMessage(`{}`)
		}
		procs[i] = pr
	}
	p.Processors = procs
	return p
}

func defProcessing[T ProcessorName](o Opt[Processing[T]]) Opt[Processing[T]] {
	if v, ok := o.Get(); ok {
		return Some(v.WithDefaults())
	}
	if !o.IsSet() {
		return Null[Processing[T]]()
	}
	return o
}

func def[T any](o *Opt[T], v T) {
	if !o.IsSet() {
		*o = Some(v)
	}
}

func defString[T ~string](s *T, v T) {
	if *s == "" {
		*s = v
	}
}
