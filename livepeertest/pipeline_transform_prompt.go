package livepeertest

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/livepeer/livepeer-go-gateway/media"
)

// Look is how [Transform] renders a StreamDiffusion-style prompt: a colour
// effect chosen by the prompt's first keyword (a hue rotation derived from
// the whole prompt when none matches), the prompt itself drawn on the frame.
type Look struct {
	Name   string // e.g. "warm tint", "hue 137°"
	Filter string // the ffmpeg video filter of the effect (no text)
}

// promptLooks maps prompt keywords to effects, in the order the keywords'
// looks are listed. Only these fixed filter strings reach ffmpeg.
var promptLooks = []struct {
	look  Look
	words []string
}{
	{Look{"warm tint", "colorchannelmixer=rr=1.1:rg=0.25:gg=0.7:bb=0.3"}, []string{"sunset", "desert", "fire", "autumn", "orange", "golden", "warm", "lava", "sun", "sand"}},
	{Look{"cool tint", "colorchannelmixer=rr=0.3:gg=0.7:gb=0.2:bb=1.2:bg=0.2"}, []string{"ocean", "sea", "water", "ice", "snow", "winter", "night", "blue", "rain", "underwater", "moon"}},
	{Look{"green tint", "colorchannelmixer=rr=0.4:gg=1.15:gr=0.2:bb=0.4"}, []string{"forest", "jungle", "grass", "garden", "leaf", "leaves", "green", "nature", "tree", "trees"}},
	{Look{"rose tint", "colorchannelmixer=rr=1.2:rg=0.2:gg=0.45:bb=0.75"}, []string{"flower", "flowers", "rose", "roses", "pink", "red", "love", "cherry", "blossom"}},
	{Look{"black and white", "hue=s=0,eq=contrast=1.3"}, []string{"noir", "monochrome", "grayscale", "greyscale", "gray", "grey", "vintage", "old"}},
	{Look{"pencil sketch", "edgedetect=low=0.08:high=0.25"}, []string{"sketch", "pencil", "drawing", "ink", "comic", "lineart", "outline"}},
	{Look{"neon", "negate,eq=saturation=2.2"}, []string{"neon", "cyberpunk", "glow", "psychedelic", "disco", "synthwave"}},
	{Look{"soft paint", "boxblur=4:1,eq=saturation=1.7"}, []string{"watercolor", "watercolour", "painting", "paint", "oil", "dream", "dreamy", "impressionist", "gogh"}},
}

// promptText returns a prompt's text: a string as is, StreamDiffusion's
// weighted list [[text, weight], ...] as its texts joined, anything else as
// JSON.
func promptText(prompt any) string {
	switch p := prompt.(type) {
	case string:
		return p
	case []any:
		var parts []string
		for _, it := range p {
			if pair, ok := it.([]any); ok && len(pair) > 0 {
				if s, ok := pair[0].(string); ok {
					parts = append(parts, s)
				}
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " + ")
		}
	}
	b, _ := json.Marshal(prompt)
	return string(b)
}

// LookFor returns the effect [Transform] applies for prompt (a string or a
// weighted prompt list).
func LookFor(prompt any) Look {
	text := strings.ToLower(promptText(prompt))
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) })
	for _, w := range words { // the earliest keyword in the prompt wins
		for _, pl := range promptLooks {
			for _, k := range pl.words {
				if w == k {
					return pl.look
				}
			}
		}
	}
	h := promptHue(prompt)
	return Look{Name: fmt.Sprintf("hue %d°", h), Filter: fmt.Sprintf("hue=h=%d", h)}
}

// promptHue maps a prompt (a string or any JSON value, such as
// StreamDiffusion's weighted prompt list) to a hue angle in [30, 330).
func promptHue(prompt any) int {
	b, _ := json.Marshal(prompt)
	if s, ok := prompt.(string); ok {
		b = []byte(s)
	}
	h := fnv.New32a()
	_, _ = h.Write(b)
	return 30 + int(h.Sum32()%300)
}

// Caption layout: the prompt is wrapped at captionWidth characters on at
// most captionLines lines.
const (
	captionWidth = 34
	captionLines = 3
)

// caption is the text drawn on the frame: what the pipeline is, its
// effect, and the prompt (wrapped, truncated with an ellipsis).
func caption(look Look, prompt string) string {
	var lines []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			lines = append(lines, strings.TrimSpace(string(cur)))
			cur = cur[:0]
		}
	}
	for _, w := range strings.Fields(prompt) {
		r := []rune(w)
		if len(r) > captionWidth {
			r = append(r[:captionWidth-1], '…')
		}
		if len(cur) > 0 && len(cur)+1+len(r) > captionWidth {
			flush()
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, r...)
	}
	flush()
	if len(lines) > captionLines {
		lines = lines[:captionLines]
		last := []rune(lines[captionLines-1])
		if len(last) >= captionWidth {
			last = last[:captionWidth-1]
		}
		lines[captionLines-1] = string(last) + "…"
	}
	head := "simulated StreamDiffusion · " + look.Name
	return head + "\n" + strings.Join(lines, "\n")
}

// safePath matches paths that can go into an ffmpeg filter option unescaped.
var safePath = regexp.MustCompile(`^[A-Za-z0-9/_.-]+$`)

// textOverlay writes text to a new file in dir and returns the drawtext
// filter that draws it (bottom left, on a translucent box; expansion off so
// '%' in a prompt is literal), or "" when dir's path cannot be put in a
// filter safely. The prompt reaches ffmpeg only through the file.
func textOverlay(dir string, gen int, text string) (string, error) {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "?")
	}
	path := filepath.Join(dir, fmt.Sprintf("caption-%d.txt", gen))
	if !safePath.MatchString(path) {
		return "", nil
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return "", err
	}
	return "drawtext=textfile=" + path + ":expansion=none:fontsize=h/24:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6:line_spacing=4:x=10:y=h-th-12", nil
}

// drawtextWorks reports whether this ffmpeg can draw text (built with
// libfreetype and a font it can find): a 1-frame probe.
func drawtextWorks(ctx context.Context, ff media.FFmpegOptions, dir string) bool {
	vf, err := textOverlay(dir, 0, "probe")
	if err != nil || vf == "" {
		return false
	}
	bin := ff.Path
	if bin == "" {
		bin = "ffmpeg"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "lavfi", "-i", "color=c=black:s=64x64:d=0.04", "-vf", vf, "-f", "null", "-")
	return cmd.Run() == nil
}
