package main

import (
	"image"
	"image/color"
)

// Frames carry their index in a strip of codeBits black/white blocks along
// the top, so the receiver can match each output frame to the moment it was
// sent, whatever the pipeline did to timestamps. The picture below the
// strip is a colour gradient that moves with the frame index.
const (
	codeBits   = 16 // frame indexes wrap at 65536
	codeHeight = 16 // strip height in pixels
)

// drawFrame draws frame i into img (reused between frames).
func drawFrame(img *image.RGBA, i int) {
	b := img.Rect
	w, h := b.Dx(), b.Dy()
	for y := codeHeight; y < h; y++ {
		for x := range w {
			o := img.PixOffset(x, y)
			img.Pix[o] = byte((x*255/w + 3*i) % 256)
			img.Pix[o+1] = byte((y*255/h + i) % 256)
			img.Pix[o+2] = byte((2 * i) % 256)
			img.Pix[o+3] = 255
		}
	}
	bw := w / codeBits
	for bit := range codeBits {
		v := byte(0)
		if i>>bit&1 == 1 {
			v = 255
		}
		for y := range codeHeight {
			for x := bit * bw; x < (bit+1)*bw; x++ {
				o := img.PixOffset(x, y)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = v, v, v, 255
			}
		}
	}
	for y := range codeHeight { // pixels right of the last block
		for x := codeBits * bw; x < w; x++ {
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = 0, 0, 0, 255
		}
	}
}

// readIndex decodes the frame index from the strip: the mean luma of the
// middle of each block, which survives lossy coding. ok is false when a
// block is neither clearly black nor clearly white.
func readIndex(img *image.RGBA) (idx int, ok bool) {
	w := img.Rect.Dx()
	bw := w / codeBits
	for bit := range codeBits {
		var sum, n int
		for y := codeHeight / 4; y < codeHeight*3/4; y++ {
			for x := bit*bw + bw/4; x < bit*bw+bw*3/4; x++ {
				c := img.RGBAAt(img.Rect.Min.X+x, img.Rect.Min.Y+y)
				sum += (299*int(c.R) + 587*int(c.G) + 114*int(c.B)) / 1000
				n++
			}
		}
		if n == 0 {
			return 0, false
		}
		switch m := sum / n; {
		case m >= 192:
			idx |= 1 << bit
		case m > 64:
			return 0, false
		}
	}
	return idx, true
}

// meanColour averages the picture below the code strip.
func meanColour(img *image.RGBA) color.RGBA {
	var r, g, b, n int
	for y := img.Rect.Min.Y + codeHeight; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			c := img.RGBAAt(x, y)
			r, g, b, n = r+int(c.R), g+int(c.G), b+int(c.B), n+1
		}
	}
	if n == 0 {
		return color.RGBA{}
	}
	return color.RGBA{R: uint8(r / n), G: uint8(g / n), B: uint8(b / n), A: 255}
}
