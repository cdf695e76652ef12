package aipipeline

// File is an uploaded file of a multipart request (the OpenAPI document's
// `format: binary` fields: the image of image-to-image, upscale,
// image-to-video, segment-anything-2 and image-to-text, the audio of
// audio-to-text). The whole file is held in memory so that a request can be
// sent again to another orchestrator after a failover.
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
