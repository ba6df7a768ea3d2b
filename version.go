package main

// The build's identity, for --version and the credential helper's version
// action: the stamped version, the Go release, and the FIPS 140-3 module
// and mode the binary runs in.

import (
	"crypto/fips140"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
)

// version is set at build time with -ldflags "-X main.version=…".
var version string

// buildVersion is the stamped version (else the module's), the Go release,
// and the FIPS 140-3 module and mode the binary runs in (SPEC §10): a
// GOFIPS140 build setting names the frozen module exactly, snapshot
// included; crypto/fips140 knows the mode GODEBUG left it in.
func buildVersion() string {
	v, module := version, fips140.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = firstSet(v, bi.Main.Version)
		if i := slices.IndexFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "GOFIPS140" }); i >= 0 {
			module = bi.Settings[i].Value
		}
	}
	mode := "off"
	if fips140.Enabled() {
		mode = "on"
	}
	if fips140.Enforced() {
		mode = "only"
	}
	return fmt.Sprintf("%s (%s, FIPS 140-3 module %s, fips140=%s)", firstSet(v, "unknown"), runtime.Version(), module, mode)
}
