package streamdiffusion

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Prompt is params.py's prompt: one text, or a weighted blend of texts
// (JSON [["a cat", 0.7], ["a dog", 0.3]]). The zero value is unset.
type Prompt struct {
	text     string
	weighted []WeightedPrompt
	kind     uint8 // 0 unset, 1 text, 2 weighted
}

// WeightedPrompt is one entry of a blend: JSON [text, weight].
type WeightedPrompt struct {
	Text   string
	Weight float64
}

// PromptText returns a one-text prompt.
func PromptText(s string) Prompt { return Prompt{text: s, kind: 1} }

// PromptBlend returns a weighted blend of prompts (weights are normalised to
// sum to 1 unless NormalizePromptWeights is false).
func PromptBlend(p ...WeightedPrompt) Prompt {
	return Prompt{weighted: append([]WeightedPrompt{}, p...), kind: 2}
}

// Text returns the prompt's text and true when it is a single text.
func (p Prompt) Text() (string, bool) { return p.text, p.kind == 1 }

// Blend returns the weighted prompts and true when it is a blend.
func (p Prompt) Blend() ([]WeightedPrompt, bool) { return p.weighted, p.kind == 2 }

// IsSet reports whether the prompt is set.
func (p Prompt) IsSet() bool { return p.kind != 0 }

func (p Prompt) absent() bool { return p.kind == 0 }

func (p Prompt) appendJSON(b []byte) []byte {
	switch p.kind {
	case 1:
		return appendString(b, p.text)
	case 2:
		b = append(b, '[')
		for i, w := range p.weighted {
			if i > 0 {
				b = append(b, ',')
			}
			b = w.appendJSON(b)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// MarshalJSON writes a string or a list of [text, weight] pairs.
func (p Prompt) MarshalJSON() ([]byte, error) { return p.appendJSON(nil), nil }

// UnmarshalJSON reads a string or a list of [text, weight] pairs.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = PromptText(s)
		return nil
	}
	var ws []WeightedPrompt
	if len(b) == 0 || b[0] != '[' || json.Unmarshal(b, &ws) != nil {
		return errors.New("want a string or a list of [text, weight] pairs")
	}
	*p = Prompt{weighted: ws, kind: 2}
	if ws == nil {
		p.weighted = []WeightedPrompt{}
	}
	return nil
}

func (w WeightedPrompt) appendJSON(b []byte) []byte {
	b = append(b, '[')
	b = appendString(b, w.Text)
	b = append(b, ',')
	b = appendFloat(b, w.Weight)
	return append(b, ']')
}

// MarshalJSON writes [text, weight].
func (w WeightedPrompt) MarshalJSON() ([]byte, error) { return w.appendJSON(nil), nil }

// UnmarshalJSON reads [text, weight].
func (w *WeightedPrompt) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return errors.New("want a [text, weight] pair")
	}
	if err := json.Unmarshal(pair[0], &w.Text); err != nil {
		return errors.New("want a [text, weight] pair: the text is not a string")
	}
	if err := json.Unmarshal(pair[1], &w.Weight); err != nil {
		return errors.New("want a [text, weight] pair: the weight is not a number")
	}
	return nil
}

// Seed is params.py's seed: one seed, or a weighted blend of seeds (JSON
// [[1, 0.5], [2, 0.5]]). The zero value is unset.
type Seed struct {
	value    int64
	weighted []WeightedSeed
	kind     uint8 // 0 unset, 1 value, 2 weighted
}

// WeightedSeed is one entry of a blend: JSON [seed, weight].
type WeightedSeed struct {
	Seed   int64
	Weight float64
}

// SeedValue returns a single seed.
func SeedValue(v int64) Seed { return Seed{value: v, kind: 1} }

// SeedBlend returns a weighted blend of seeds.
func SeedBlend(s ...WeightedSeed) Seed {
	return Seed{weighted: append([]WeightedSeed{}, s...), kind: 2}
}

// Value returns the seed and true when it is a single seed.
func (s Seed) Value() (int64, bool) { return s.value, s.kind == 1 }

// Blend returns the weighted seeds and true when it is a blend.
func (s Seed) Blend() ([]WeightedSeed, bool) { return s.weighted, s.kind == 2 }

// IsSet reports whether the seed is set.
func (s Seed) IsSet() bool { return s.kind != 0 }

func (s Seed) absent() bool { return s.kind == 0 }

func (s Seed) appendJSON(b []byte) []byte {
	switch s.kind {
	case 1:
		return appendInt(b, s.value)
	case 2:
		b = append(b, '[')
		for i, w := range s.weighted {
			if i > 0 {
				b = append(b, ',')
			}
			b = w.appendJSON(b)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// MarshalJSON writes an integer or a list of [seed, weight] pairs.
func (s Seed) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

// UnmarshalJSON reads an integer (an integral number such as 42.0 too) or a
// list of [seed, weight] pairs.
func (s *Seed) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var ws []WeightedSeed
		if err := json.Unmarshal(b, &ws); err != nil {
			return errors.New("want an integer or a list of [seed, weight] pairs")
		}
		*s = Seed{weighted: ws, kind: 2}
		if ws == nil {
			s.weighted = []WeightedSeed{}
		}
		return nil
	}
	v, err := parseInt(b)
	if err != nil {
		return fmt.Errorf("want an integer or a list of [seed, weight] pairs: %w", err)
	}
	*s = SeedValue(v)
	return nil
}

func (w WeightedSeed) appendJSON(b []byte) []byte {
	b = append(b, '[')
	b = appendInt(b, w.Seed)
	b = append(b, ',')
	b = appendFloat(b, w.Weight)
	return append(b, ']')
}

// MarshalJSON writes [seed, weight].
func (w WeightedSeed) MarshalJSON() ([]byte, error) { return w.appendJSON(nil), nil }

// UnmarshalJSON reads [seed, weight].
func (w *WeightedSeed) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return errors.New("want a [seed, weight] pair")
	}
	v, err := parseInt(pair[0])
	if err != nil {
		return errors.New("want a [seed, weight] pair: the seed is not an integer")
	}
	w.Seed = v
	if err := json.Unmarshal(pair[1], &w.Weight); err != nil {
		return errors.New("want a [seed, weight] pair: the weight is not a number")
	}
	return nil
}

// LoRA is one entry of [Params.LoRADict].
type LoRA struct {
	// ID is the LoRA model (a Hugging Face id or path).
	ID string
	// Weight is its strength.
	Weight float64
}

// LoRAs is params.py's lora_dict: a JSON object from LoRA model to weight,
// written in slice order.
type LoRAs []LoRA

func (l LoRAs) appendJSON(b []byte) []byte {
	b = append(b, '{')
	for i, e := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.ID)
		b = append(b, ':')
		b = appendFloat(b, e.Weight)
	}
	return append(b, '}')
}

// MarshalJSON writes {"id": weight, ...} in slice order.
func (l LoRAs) MarshalJSON() ([]byte, error) { return l.appendJSON(nil), nil }

// UnmarshalJSON reads {"id": weight, ...} keeping the key order (a repeated
// key keeps its first place and its last weight, as in Python).
func (l *LoRAs) UnmarshalJSON(b []byte) error {
	out := LoRAs{}
	err := walkObject(b, func(key string, v json.RawMessage) error {
		var w float64
		if err := json.Unmarshal(v, &w); err != nil {
			return fmt.Errorf("%q: want a number", key)
		}
		for i := range out {
			if out[i].ID == key {
				out[i].Weight = w
				return nil
			}
		}
		out = append(out, LoRA{ID: key, Weight: w})
		return nil
	})
	if err != nil {
		return err
	}
	*l = out
	return nil
}
