package aipipeline

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
)

// decodeDataURL decodes an RFC 2397 data URL ("data:image/png;base64,...",
// what orchestrators put in images[].url without the AI-worker
// Authorization header, go-livepeer master 176aa415ccea4f9861e0dd44e981cda17fb36f52
// server/ai_http.go:1633-1652) and returns its media
// type and bytes.
func decodeDataURL(s string) (mediaType string, data []byte, err error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return "", nil, errors.New("not a data: URL")
	}
	head, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return "", nil, errors.New("data: URL without ','")
	}
	head, isB64 := strings.CutSuffix(head, ";base64")
	mediaType, _, _ = strings.Cut(head, ";")
	if mediaType == "" {
		mediaType = "text/plain"
	}
	if isB64 {
		payload = strings.TrimRight(payload, "=")
		data, err = base64.RawStdEncoding.DecodeString(payload)
		if err != nil {
			data, err = base64.RawURLEncoding.DecodeString(payload)
		}
	} else {
		var str string
		str, err = url.PathUnescape(payload)
		data = []byte(str)
	}
	if err != nil {
		return "", nil, err
	}
	return mediaType, data, nil
}
