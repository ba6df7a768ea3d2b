package interop

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
)

// connectProxy is an HTTPS_PROXY that never dials out. It answers CONNECT
// itself, records the target the client asked for (which is how the suite
// learns which AWS endpoint the binary chose), terminates TLS with a leaf
// for that host signed by the suite's CA, and hands the decrypted requests
// to the fake AWS handler.
type connectProxy struct {
	URL     string
	ca      *testCA
	handler http.Handler
	outer   *http.Server
	ln      net.Listener

	mu       sync.Mutex
	targets  []string
	problems []string
	conns    map[net.Conn]bool
}

type connectTargetKey struct{}

// connectTarget is the CONNECT authority (host:port) a request arrived
// through, or "" for a request that did not come through the proxy.
func connectTarget(r *http.Request) string {
	s, _ := r.Context().Value(connectTargetKey{}).(string)
	return s
}

// startConnectProxy listens on 127.0.0.1 only.
func startConnectProxy(ca *testCA, handler http.Handler) (*connectProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &connectProxy{URL: "http://" + ln.Addr().String(), ca: ca, handler: handler, ln: ln, conns: map[net.Conn]bool{}}
	p.outer = &http.Server{Handler: http.HandlerFunc(p.serveProxy)}
	go p.outer.Serve(ln)
	return p, nil
}

// Close stops the proxy and every tunnel it still holds.
func (p *connectProxy) Close() {
	p.outer.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Targets returns the CONNECT targets seen so far, in order.
func (p *connectProxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// Problems returns what the proxy refused (anything but CONNECT).
func (p *connectProxy) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// serveProxy accepts CONNECT only: a plain-HTTP proxy request would mean
// the binary sent something in clear text, which it never should.
func (p *connectProxy) serveProxy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		p.note(fmt.Sprintf("proxy got %s %s, want CONNECT", r.Method, r.URL))
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	target := r.Host
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		p.note(fmt.Sprintf("CONNECT %q: %v", target, err))
		http.Error(w, "bad CONNECT target", http.StatusBadRequest)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		p.note(fmt.Sprintf("hijack: %v", err))
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.conns[conn] = true
	p.mu.Unlock()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	p.tunnel(&bufferedConn{Conn: conn, r: buf.Reader}, host, target)
}

// tunnel serves HTTPS on one hijacked connection as the host the client
// asked for.
func (p *connectProxy) tunnel(conn net.Conn, host, target string) {
	ln := &oneConnListener{conn: tls.Server(conn, p.ca.serverConfig(host)), addr: conn.LocalAddr(), done: make(chan struct{})}
	inner := &http.Server{
		Handler: p.handler,
		// A client that rejects the leaf (a test without the suite's CA)
		// is the test's business, not log noise.
		ErrorLog: log.New(io.Discard, "", 0),
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), connectTargetKey{}, target)
		},
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				ln.Close()
			}
		},
	}
	inner.Serve(ln)
}

// note records a proxy-side problem for the test to report.
func (p *connectProxy) note(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, s)
}

// bufferedConn reads first what the hijack already buffered.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

// Read drains the hijack buffer before the connection.
func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// oneConnListener hands http.Server a single connection, then blocks until
// that connection is closed so Serve does not return while it is in use.
// The connection stays a *tls.Conn so requests carry their TLS state.
type oneConnListener struct {
	conn net.Conn
	addr net.Addr
	once sync.Once
	done chan struct{}
	used bool
}

// Accept returns the connection once, then waits for Close.
func (l *oneConnListener) Accept() (net.Conn, error) {
	if !l.used {
		l.used = true
		return l.conn, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

// Close releases the blocked Accept.
func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the proxy's side of the tunnel.
func (l *oneConnListener) Addr() net.Addr { return l.addr }
