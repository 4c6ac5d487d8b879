package chdbfront

import (
	"syscall"
	"unsafe"
)

// goSignals are the signals whose handlers chDB resets or replaces (its
// crash handlers: SIGABRT, SIGSEGV, SIGILL, SIGBUS, SIGSYS, SIGFPE,
// SIGTSTP, SIGTRAP) and SIGURG, which the Go runtime needs for
// preemption.
var goSignals = [...]syscall.Signal{
	syscall.SIGABRT, syscall.SIGSEGV, syscall.SIGILL, syscall.SIGBUS,
	syscall.SIGSYS, syscall.SIGFPE, syscall.SIGTSTP, syscall.SIGTRAP,
	syscall.SIGURG,
}

// kernelSigaction is the kernel's struct sigaction, kept opaque: it is
// only read and written back as it was. 32 bytes hold it on amd64 and
// arm64.
type kernelSigaction [4]uint64

// sizeofSigset is the size of the kernel's sigset_t, which rt_sigaction
// requires.
const sizeofSigset = 8

// keepGoSignalHandlers runs f, a call into chDB that may install its own
// handlers or reset them to SIG_DFL, and puts back the handlers that were
// there before (the Go runtime's) for goSignals. The raw system call reads
// and writes exactly what the runtime installed, whether or not cgo or
// the race detector is in the binary.
func keepGoSignalHandlers(f func()) {
	var saved [len(goSignals)]kernelSigaction
	for i, sig := range goSignals {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&saved[i])), sizeofSigset, 0, 0)
	}
	f()
	for i, sig := range goSignals {
		var now kernelSigaction
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&now)), sizeofSigset, 0, 0)
		if now != saved[i] {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&saved[i])), 0, sizeofSigset, 0, 0)
		}
	}
}
