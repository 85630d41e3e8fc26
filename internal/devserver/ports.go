package devserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
)

// handedOut remembers every port this process has picked for a server. The
// kernel may give the same ephemeral port to two bind(:0) calls once the first
// listener is closed, and Temporal opens its own listeners later, so two
// servers starting in one test binary could otherwise be handed the same
// history or matching port.
var (
	handedOutMu sync.Mutex
	handedOut   = map[int]bool{}
)

// pickFreePorts returns n distinct ports that are free on host right now and
// that no other server in this process was given. All n listeners are held
// open together so the kernel cannot return one port twice.
func pickFreePorts(host string, n int) ([]int, error) {
	handedOutMu.Lock()
	defer handedOutMu.Unlock()

	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for attempts := 0; len(ports) < n; attempts++ {
		if attempts > 100*n {
			return nil, fmt.Errorf("pick %d free ports on %s: too many ports already taken", n, host)
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("pick free port on %s: %w", host, err)
		}
		held = append(held, l)
		port := l.Addr().(*net.TCPAddr).Port
		if handedOut[port] {
			continue
		}
		ports = append(ports, port)
	}
	for _, p := range ports {
		handedOut[p] = true
	}
	return ports, nil
}

// checkPortFree fails with a message naming the address and its purpose when
// something already listens there. Temporal and the UI server do not return a
// listen error to the caller: Temporal fails deep inside its start-up, and the
// UI server exits the whole process, so the check runs before either starts.
func checkPortFree(host string, port int, what string) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s address %s is already in use: %w", what, addr, err)
		}
		return fmt.Errorf("%s address %s: %w", what, addr, err)
	}
	return l.Close()
}
