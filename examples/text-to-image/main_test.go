package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTextToImageWritesPNGOfTheRequestedSize(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	out := filepath.Join(dir, "fox.png")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"-prompt", "a red fox", "-width", "320", "-height", "200", "-o", out}, &stdout, &stderr), stderr.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, [2]int{320, 200}, [2]int{cfg.Width, cfg.Height})
	require.True(t, strings.HasPrefix(stdout.String(), out+" ("), stdout.String())
	require.Contains(t, stderr.String(), "64000 units, 128000000000 wei", "320×200 at the toy's 2e6 wei per pixel")

	// Two images: numbered files.
	stdout.Reset()
	require.NoError(t, run(ctx, []string{"-width", "64", "-height", "32", "-count", "2", "-o", out}, &stdout, &stderr))
	for _, n := range []string{"fox-1.png", "fox-2.png"} {
		_, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err)
	}
	require.Error(t, run(ctx, []string{"-count", "0"}, &stdout, &stderr))
	require.Error(t, run(ctx, []string{"-model", "nobody/serves-this", "-o", out}, &stdout, &stderr))
}
