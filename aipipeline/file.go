package aipipeline

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// File is an uploaded file of a multipart request (the OpenAPI document's
// `format: binary` fields: the image of image-to-image, upscale,
// image-to-video, segment-anything-2 and image-to-text, the audio of
// audio-to-text). The whole file is held in memory so that a request can be
// sent again to another orchestrator after a failover.
//
// In the JSON form of a request (DecodeRequest, json.Marshal) a File is an
// RFC 2397 data: URL string: "data:image/png;base64,iVBORw0…", optionally
// with a name parameter ("data:image/png;name=fox.png;base64,…").
type File struct {
	// Name is the file name sent in the multipart part ("" sends "file").
	Name string
	// Data is the file's content.
	Data []byte
}

// NewFile returns a File named name holding data (not copied).
func NewFile(name string, data []byte) File { return File{Name: name, Data: data} }

// filename is the name written in the part's Content-Disposition.
func (f File) filename() string {
	if f.Name == "" {
		return "file"
	}
	return f.Name
}

// ErrNotDataURL is the cause of a File's JSON that is not a data: URL
// string (File.UnmarshalJSON; DecodeRequest wraps it in an *InputError
// naming the field).
var ErrNotDataURL = errors.New(`aipipeline: a file is given in JSON as a data: URL string ("data:image/png;base64,...")`)

// MarshalJSON renders f as a data: URL string: the media type sniffed from
// the content (net/http.DetectContentType), the name as a percent-encoded
// name parameter when set, the content in base64. UnmarshalJSON reads it
// back to the same File.
func (f File) MarshalJSON() ([]byte, error) {
	mt, _, _ := strings.Cut(http.DetectContentType(f.Data), ";")
	var b strings.Builder
	b.Grow(len("data:;name=;base64,") + len(mt) + 3*len(f.Name) + base64.StdEncoding.EncodedLen(len(f.Data)))
	b.WriteString("data:")
	b.WriteString(mt)
	if f.Name != "" {
		b.WriteString(";name=")
		b.WriteString(escapeParam(f.Name))
	}
	b.WriteString(";base64,")
	b.WriteString(base64.StdEncoding.EncodeToString(f.Data))
	return json.Marshal(b.String())
}

// UnmarshalJSON reads a data: URL string (base64 or percent-encoded, RFC
// 2397). The name is its name parameter, else "file" with the extension of
// its media type ("file.png"). JSON null leaves f as it is; anything else
// that is not a data: URL string is an error wrapping ErrNotDataURL.
func (f *File) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return ErrNotDataURL
	}
	v, err := FileFromDataURL(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// FileFromDataURL returns the File a data: URL holds (see
// File.UnmarshalJSON). An error wraps ErrNotDataURL.
func FileFromDataURL(s string) (File, error) {
	mediaType, data, err := decodeDataURL(strings.TrimSpace(s))
	if err != nil {
		short := s
		if len(short) > 40 {
			short = short[:40] + "…"
		}
		return File{}, fmt.Errorf("%w: %q: %v", ErrNotDataURL, short, err)
	}
	head, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(s), "data:"), ",")
	name := ""
	for _, p := range strings.Split(head, ";")[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "name") {
			continue
		}
		if name, err = url.PathUnescape(strings.Trim(strings.TrimSpace(v), `"`)); err != nil {
			return File{}, fmt.Errorf("%w: its name parameter: %v", ErrNotDataURL, err)
		}
	}
	if name == "" {
		name = "file" + extensions[strings.ToLower(mediaType)]
	}
	return File{Name: name, Data: data}, nil
}

// extensions name a file of a data: URL without a name parameter, for the
// media types of the pipelines' inputs.
var extensions = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"audio/wav": ".wav", "audio/wave": ".wav", "audio/x-wav": ".wav", "audio/mpeg": ".mp3",
	"audio/ogg": ".ogg", "audio/flac": ".flac", "audio/mp4": ".m4a", "video/mp4": ".mp4", "video/webm": ".webm",
}

// escapeParam percent-encodes everything but RFC 3986's unreserved
// characters, so that a name never breaks the data: URL's ";" and ","
// structure.
func escapeParam(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
