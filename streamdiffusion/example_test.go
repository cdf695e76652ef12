package streamdiffusion_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/streamdiffusion"
)

func Example() {
	p := streamdiffusion.Params{
		ModelID:       streamdiffusion.SDTurbo,
		Prompt:        streamdiffusion.PromptText("a watercolour city"),
		GuidanceScale: streamdiffusion.Float(1.2),
		TIndexList:    []int{18, 26, 35},
		Seed:          streamdiffusion.SeedValue(42),
		ControlNets: []streamdiffusion.ControlNet{
			{ModelID: streamdiffusion.ControlNetSD21Canny, ConditioningScale: streamdiffusion.Float(0.3)},
		},
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	b, _ := json.Marshal(p)
	fmt.Println(string(b))

	// A new prompt and a stronger ControlNet apply live; a new model reloads.
	next := p
	next.Prompt = streamdiffusion.PromptText("a charcoal city")
	next.ControlNets = []streamdiffusion.ControlNet{
		{ModelID: streamdiffusion.ControlNetSD21Canny, ConditioningScale: streamdiffusion.Float(0.6)},
	}
	fmt.Println(streamdiffusion.Diff(p, next).Effect(), streamdiffusion.Reloads(p, next))
	next.ModelID = streamdiffusion.SDXLTurbo
	next.ControlNets = nil
	for _, c := range streamdiffusion.Diff(p, next) {
		fmt.Println(c.Field, c.Effect)
	}

	// Bad values name the field, the value and what is allowed.
	p.Width = streamdiffusion.Int(500)
	var fe *streamdiffusion.FieldError
	if err := p.Validate(); errors.As(err, &fe) {
		fmt.Printf("%s = %v: want %s\n", fe.Field, fe.Value, fe.Allowed)
	}
	// Output:
	// {"model_id":"stabilityai/sd-turbo","prompt":"a watercolour city","guidance_scale":1.2,"t_index_list":[18,26,35],"seed":42,"controlnets":[{"model_id":"thibaud/controlnet-sd21-canny-diffusers","conditioning_scale":0.3}]}
	// live false
	// model_id reload
	// prompt live
	// controlnets reload
	// width = 500: want 384–1024, a multiple of 64
}
