// Package logtest holds what tests use to read what doraflow logs: a
// buffer that goroutines may log into at once, as they may into a real
// stderr.
package logtest

import (
	"bytes"
	"sync"

	"github.com/rs/zerolog"
)

// Buffer is a bytes.Buffer safe for concurrent writers. The zero value is
// ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a JSON logger writing into b.
func (b *Buffer) Logger() zerolog.Logger { return zerolog.New(b) }
