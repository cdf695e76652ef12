package livepeertest

import (
	"log"
	"log/slog"
)

// slogToLog adapts a slog.Logger for http.Server.ErrorLog (TLS handshake
// errors and the like), at debug level.
func slogToLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelDebug)
}
