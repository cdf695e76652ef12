package livepeer

import (
	"encoding/json"
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/aipipeline"
)

// pipelineInput turns the input of Run or Stream on a built-in AI pipeline
// into p's request. Accepted:
//
//   - the typed request (TextToImage, LLMRequest..., value or pointer), as
//     it is;
//   - its JSON, as json.RawMessage or []byte: the wire field names of
//     ai-runner's OpenAPI document ({"prompt": "a red fox", "width": 512}),
//     decoded strictly by aipipeline.DecodeRequest: an unknown field, at any
//     depth, is an *InputError naming it; a file field ("image", "audio")
//     holds a data: URL string ("data:image/png;base64,…", an optional
//     ";name=fox.png" before ";base64");
//   - a map[string]any of the same fields (aipipeline.RequestFromMap), whose
//     file field may also hold a File (or *File).
//
// Anything else, nil included, is an *InputError.
func pipelineInput(p aipipeline.Pipeline, input any) (aipipeline.Request, error) {
	switch v := input.(type) {
	case aipipeline.Request:
		return v, nil
	case json.RawMessage:
		return aipipeline.DecodeRequest(p, v)
	case []byte:
		return aipipeline.DecodeRequest(p, v)
	case map[string]any:
		return aipipeline.RequestFromMap(p, v)
	case nil:
		return nil, &aipipeline.InputError{Pipeline: p, Reason: "no request"}
	}
	return nil, &aipipeline.InputError{Pipeline: p, Reason: fmt.Sprintf(
		"input is %T: want the pipeline's request (livepeer.TextToImage, livepeer.LLMRequest...), its JSON (json.RawMessage or []byte) or a map[string]any", input)}
}
