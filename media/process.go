package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
)

// FFmpegOptions locates the ffmpeg binary for the helpers that start it.
type FFmpegOptions struct {
	// Path is the ffmpeg binary; "" means "ffmpeg" looked up in PATH.
	Path string
	// Logger receives a debug log with each command line; nil means silent.
	Logger *slog.Logger
}

func (o FFmpegOptions) binary(def string) string {
	if o.Path != "" {
		return o.Path
	}
	return def
}

// Process is a running ffmpeg process. Reading it reads the process's stdout
// (MPEG-TS); for a filter, writing it writes the process's stdin.
//
// Close kills the process (if still running) and waits for it, so no zombie
// or goroutine is left; cancelling the ctx given at start does the same kill,
// and Close must still be called to release the pipe. Read and Write may be
// called from different goroutines; Close may be called from any goroutine.
type Process struct {
	cmd    *exec.Cmd
	name   string
	stdout *os.File
	stdin  *os.File
	stderr *tailBuffer
	ctx    context.Context

	done    chan struct{}
	waitErr error

	closeOnce sync.Once
	inMu      sync.Mutex
	inClosed  bool
}

// startProcess runs bin with args; stdout is piped to the returned Process
// and, when withStdin, stdin too.
func startProcess(ctx context.Context, opts FFmpegOptions, def string, args []string, withStdin bool) (*Process, error) {
	return startProcessStderr(ctx, opts, def, args, withStdin, nil)
}

// startProcessStderr is startProcess with the process's stderr going to
// stderr(tail) instead of the tail buffer alone: the returned writer sees
// every byte and should pass what it does not consume on to tail, which
// Process.Stderr and ProcessError report. The writer must not block once
// the Process is closed, or Close would wait for it.
func startProcessStderr(ctx context.Context, opts FFmpegOptions, def string, args []string, withStdin bool, stderr func(tail io.Writer) io.Writer) (*Process, error) {
	name := opts.binary(def)
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrFFmpegNotFound, name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Debug("media: starting process", "bin", path, "args", args)

	cmd := exec.CommandContext(ctx, path, args...)
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, name: def, stdout: outR, stderr: &tailBuffer{max: 4096}, ctx: ctx, done: make(chan struct{})}
	cmd.Stdout = outW
	cmd.Stderr = p.stderr
	if stderr != nil {
		cmd.Stderr = stderr(p.stderr)
	}
	var inR *os.File
	if withStdin {
		inR, p.stdin, err = os.Pipe()
		if err != nil {
			outR.Close()
			outW.Close()
			return nil, err
		}
		cmd.Stdin = inR
	}
	err = cmd.Start()
	outW.Close() // the child holds its own copies
	if inR != nil {
		inR.Close()
	}
	if err != nil {
		outR.Close()
		if p.stdin != nil {
			p.stdin.Close()
		}
		return nil, &ProcessError{Cmd: def, Err: err}
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Read reads the process's stdout. It returns io.EOF when the process closed
// its stdout (usually because it exited).
func (p *Process) Read(b []byte) (int, error) {
	n, err := p.stdout.Read(b)
	if errors.Is(err, os.ErrClosed) {
		err = errProcessClosed
	}
	return n, err
}

// Write writes to the process's stdin. It fails if the process was not
// started with a stdin (only [StartFilter] has one) or after CloseWrite.
func (p *Process) Write(b []byte) (int, error) {
	if p.stdin == nil {
		return 0, errors.New("media: process has no stdin")
	}
	n, err := p.stdin.Write(b)
	if errors.Is(err, os.ErrClosed) {
		err = errStdinClosed
	}
	return n, err
}

// CloseWrite closes the process's stdin so it sees end of input and can
// finish. It is idempotent and a no-op for processes without stdin.
func (p *Process) CloseWrite() error {
	p.inMu.Lock()
	defer p.inMu.Unlock()
	if p.stdin == nil || p.inClosed {
		return nil
	}
	p.inClosed = true
	return p.stdin.Close()
}

// Wait waits for the process to exit by itself (or be killed by ctx or
// Close). It returns nil on a zero exit status, ctx.Err() if the start ctx
// was cancelled, otherwise a *ProcessError with the tail of stderr.
func (p *Process) Wait() error {
	<-p.done
	if p.waitErr == nil {
		return nil
	}
	if err := p.ctx.Err(); err != nil {
		return err
	}
	return &ProcessError{Cmd: p.name, Err: p.waitErr, Stderr: p.stderr.String()}
}

// Done returns a channel closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Pid returns the operating system's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stderr returns the last 4 KiB the process wrote to stderr.
func (p *Process) Stderr() string { return p.stderr.String() }

// Close kills the process if it is still running, waits for it to be reaped
// and releases the pipes. It is idempotent and always returns nil: use Wait
// before Close to learn how a process that ran to completion exited.
func (p *Process) Close() error {
	p.closeOnce.Do(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
		}
		_ = p.CloseWrite()
		<-p.done
		p.stdout.Close()
	})
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

var _ io.ReadWriteCloser = (*Process)(nil)
