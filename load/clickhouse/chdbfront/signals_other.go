//go:build !linux

package chdbfront

// keepGoSignalHandlers runs f. Only Linux is looked after: libchdb for
// other systems is not what the project fetches.
func keepGoSignalHandlers(f func()) { f() }
