package media

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
)

// frameInfo is what ffmpeg's showinfo filter logs for one frame.
type frameInfo struct {
	n, w, h int
	pts     int64
	hasPTS  bool
}

// showinfoLine matches a frame line of ffmpeg's showinfo filter as logged
// with -loglevel level+info, e.g.
//
//	[Parsed_showinfo_2 @ 0x55…] [info] n:   0 pts: 126000 pts_time:1.4 … s:64x48 …
//
// (libavfilter/vf_showinfo.c: "n:%4"PRId64" pts:%7s pts_time:%-7s …
// s:%dx%d", stable from ffmpeg 4 to 7).
var showinfoLine = regexp.MustCompile(`^\[Parsed_showinfo_\d+ @ [^\]]*\] (?:\[info\] )?n:\s*(\d+) pts:\s*(-?\d+|NOPTS)\b.* s:(\d+)x(\d+)\b`)

// maxStderrLine bounds the bytes kept of one stderr line (showinfo's side
// data lines can be long); the rest of a longer line is dropped.
const maxStderrLine = 8 << 10

// showinfoParser is an ffmpeg decoder's stderr: frame lines become
// frameInfos on infos, error and warning lines go to tail, other info
// lines are dropped. A send blocks until the reader takes the info or quit
// is closed, which keeps ffmpeg no further ahead of the reader than the
// channel's capacity.
type showinfoParser struct {
	tail  io.Writer
	infos chan<- frameInfo
	quit  <-chan struct{}
	line  []byte
	long  bool // the current line overflowed maxStderrLine
}

func (p *showinfoParser) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		if room := maxStderrLine - len(p.line); len(chunk) > room {
			chunk, p.long = chunk[:room], true
		}
		p.line = append(p.line, chunk...)
		if i < 0 {
			break
		}
		p.handle(bytes.TrimSuffix(p.line, []byte("\r")))
		p.line, p.long = p.line[:0], false
		b = b[i+1:]
	}
	return n, nil
}

func (p *showinfoParser) handle(line []byte) {
	if m := showinfoLine.FindSubmatch(line); m != nil {
		var fi frameInfo
		fi.n, _ = strconv.Atoi(string(m[1]))
		if v, err := strconv.ParseInt(string(m[2]), 10, 64); err == nil {
			fi.pts, fi.hasPTS = v, true
		}
		fi.w, _ = strconv.Atoi(string(m[3]))
		fi.h, _ = strconv.Atoi(string(m[4]))
		select {
		case p.infos <- fi:
		case <-p.quit:
		}
		return
	}
	if len(line) == 0 || bytes.HasPrefix(line, []byte("[info] ")) || bytes.Contains(line, []byte("] [info] ")) {
		return
	}
	_, _ = p.tail.Write(append(line, '\n'))
}
