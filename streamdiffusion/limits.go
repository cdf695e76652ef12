package streamdiffusion

// ai-runner's numeric limits, as [Params.Validate] applies them (params.py at
// ai-runner 50a742c; width and height from
// runner/src/runner/live/pipelines/interface.py). UIs can take their ranges
// from here.
const (
	// MinSize and MaxSize bound Width and Height in pixels, which must be
	// multiples of SizeMultiple.
	MinSize      = 384
	MaxSize      = 1024
	SizeMultiple = 64
	// MinNumInferenceSteps and MaxNumInferenceSteps bound NumInferenceSteps.
	MinNumInferenceSteps = 1
	MaxNumInferenceSteps = 100
	// MinTIndexList and MaxTIndexList bound the length of TIndexList; each
	// value is in 0..NumInferenceSteps, in non-decreasing order.
	MinTIndexList = 1
	MaxTIndexList = 4
	// MaxConditioningChannels bounds ControlNet.ConditioningChannels (from 1).
	MaxConditioningChannels = 6
	// MaxCachedAttentionFrames bounds CachedAttention.MaxFrames (from 1).
	MaxCachedAttentionFrames = 4
	// MaxCachedAttentionInterval bounds CachedAttention.Interval in frames
	// (from 1; one minute at 24 fps).
	MaxCachedAttentionInterval = 1440
)
