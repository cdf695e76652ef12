package media

import (
	"fmt"
	"image"
	"image/draw"
)

// fillRGBA writes img (w×h) into dst as PixelRGBA, using the scratch
// *image.RGBA view of dst for formats that need converting.
func fillRGBA(dst []byte, w, h int, img image.Image) {
	b := img.Bounds()
	switch src := img.(type) {
	case *image.RGBA:
		copyRows(dst, w*4, h, src.Pix[src.PixOffset(b.Min.X, b.Min.Y):], src.Stride)
		return
	case *image.NRGBA:
		copyRows(dst, w*4, h, src.Pix[src.PixOffset(b.Min.X, b.Min.Y):], src.Stride)
		return
	}
	view := &image.RGBA{Pix: dst, Stride: w * 4, Rect: image.Rect(0, 0, w, h)}
	draw.Draw(view, view.Rect, img, b.Min, draw.Src)
}

// copyRows copies h rows of rowLen bytes from src (row pitch stride) into
// dst (packed).
func copyRows(dst []byte, rowLen, h int, src []byte, stride int) {
	for y := range h {
		copy(dst[y*rowLen:(y+1)*rowLen], src[y*stride:y*stride+rowLen])
	}
}

// fillYUV420 writes img (w×h, both even) into dst as PixelYUV420 (BT.601
// limited range). Go's image.YCbCr is full range (JFIF): 4:2:0 images are
// copied plane by plane through a range-mapping table; *image.RGBA is
// converted in place; anything else is drawn into scratch() (w*h*4 bytes)
// first.
func fillYUV420(dst []byte, w, h int, img image.Image, scratch func() []byte) {
	b := img.Bounds()
	if src, ok := img.(*image.RGBA); ok {
		rgbaToI420(dst, src.Pix[src.PixOffset(b.Min.X, b.Min.Y):], src.Stride, w, h)
		return
	}
	if src, ok := img.(*image.YCbCr); ok && src.SubsampleRatio == image.YCbCrSubsampleRatio420 && b.Min.X%2 == 0 && b.Min.Y%2 == 0 {
		yp, cp := dst[:w*h], dst[w*h:]
		cw, ch := w/2, h/2
		for y := range h {
			row := src.Y[src.YOffset(b.Min.X, b.Min.Y+y):]
			out := yp[y*w : (y+1)*w]
			for x := range out {
				out[x] = lumaFullToLimited[row[x]]
			}
		}
		for i, plane := range [][]byte{src.Cb, src.Cr} {
			outp := cp[i*cw*ch : (i+1)*cw*ch]
			for y := range ch {
				row := plane[src.COffset(b.Min.X, b.Min.Y+2*y):]
				out := outp[y*cw : (y+1)*cw]
				for x := range out {
					out[x] = chromaFullToLimited[row[x]]
				}
			}
		}
		return
	}
	buf := scratch()
	fillRGBA(buf, w, h, img)
	rgbaToI420(dst, buf, w*4, w, h)
}

// Full-range (JFIF) to limited-range (BT.601 studio swing) tables:
// Y 0–255 → 16–235, Cb/Cr 0–255 → 16–240 around 128.
var lumaFullToLimited, chromaFullToLimited = rangeTables()

func rangeTables() (l, c [256]byte) {
	for i := range 256 {
		l[i] = byte(16 + (i*219+127)/255)
		c[i] = byte(128 + ((i-128)*224+sign(i-128)*127)/255)
	}
	return l, c
}

func sign(v int) int {
	if v < 0 {
		return -1
	}
	return 1
}

// rgbaToI420 converts RGBA (w×h, even sizes, rows stride bytes apart) to
// I420 with BT.601 limited-range coefficients (×256 fixed point); chroma is
// the mean of each 2×2 block.
func rgbaToI420(dst, rgba []byte, stride, w, h int) {
	yp := dst[:w*h]
	up := dst[w*h : w*h+(w/2)*(h/2)]
	vp := dst[w*h+(w/2)*(h/2):]
	for y := range h {
		row := rgba[y*stride:]
		for x := range w {
			r, g, b := int(row[4*x]), int(row[4*x+1]), int(row[4*x+2])
			yp[y*w+x] = byte((66*r+129*g+25*b+128)>>8 + 16)
		}
	}
	for y := 0; y < h; y += 2 {
		r0, r1 := rgba[y*stride:], rgba[(y+1)*stride:]
		for x := 0; x < w; x += 2 {
			var r, g, b int
			for _, p := range [4][]byte{r0[4*x:], r0[4*x+4:], r1[4*x:], r1[4*x+4:]} {
				r, g, b = r+int(p[0]), g+int(p[1]), b+int(p[2])
			}
			r, g, b = (r+2)/4, (g+2)/4, (b+2)/4
			i := (y/2)*(w/2) + x/2
			up[i] = byte((-38*r-74*g+112*b+128)>>8 + 128)
			vp[i] = byte((112*r-94*g-18*b+128)>>8 + 128)
		}
	}
}

// checkImage reports whether img is a non-nil w×h image.
func checkImage(img image.Image, w, h int) error {
	if img == nil {
		return fmt.Errorf("%w: nil image", ErrInvalidFrame)
	}
	if s := img.Bounds().Size(); s.X != w || s.Y != h {
		return fmt.Errorf("%w: image is %dx%d, the encoder takes %dx%d", ErrInvalidFrame, s.X, s.Y, w, h)
	}
	return nil
}
