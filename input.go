package main

// Reading and quoting what comes from outside (STYLE §9, §7): bounded
// reads of stdin, files and bodies, and the short, one-line, secret-free
// forms in which untrusted text may appear in an error.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// tooLargeError is a read stopped at its bound.
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string { return fmt.Sprintf("larger than %d bytes", e.max) }

// readBounded reads all of r but refuses more than max bytes. Every read
// from outside (stdin, files, HTTP bodies) goes through it (STYLE §9).
func readBounded(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	switch {
	case err != nil:
		return nil, err
	case int64(len(data)) > max:
		return nil, &tooLargeError{max}
	}
	return data, nil
}

// readFileBounded reads a whole file, refusing one larger than max bytes.
func readFileBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A buffer sized from the file's length: io.ReadAll grows one from 512
	// bytes, copying and faulting in each size, which for a 200 KiB CA
	// bundle was 4% of a run's CPU.
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil {
		buf.Grow(int(min(fi.Size(), max)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, max+1)); err != nil {
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	if int64(buf.Len()) > max {
		return nil, fmt.Errorf("%q: %w", path, &tooLargeError{max})
	}
	return buf.Bytes(), nil
}

// maxQuoted bounds the quoted form of an untrusted string in an error.
const maxQuoted = 160

// firstSetVar returns the first of the named variables that is set, and
// its value; "", "" when none is.
func firstSetVar(getenv func(string) string, names ...string) (name, value string) {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return n, v
		}
	}
	return "", ""
}

// firstSet returns the first non-empty string, or "".
func firstSet(s ...string) string { return cmp.Or(s...) }

// shortQuote quotes untrusted s for an error, cut so that the quoted form
// fits in maxQuoted bytes: a huge or escape-heavy input cannot make a huge
// message.
func shortQuote(s string) string {
	q := strconv.Quote(s)
	if len(q) <= maxQuoted {
		return q
	}
	for n := min(len(s), maxQuoted-2); ; n-- {
		if q = strconv.Quote(s[:n]); len(q) <= maxQuoted {
			return q + "…"
		}
	}
}

// oneLine keeps an error message on one stderr line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// cleanMessage makes server text safe for a one-line log: printable,
// single-line, bounded, and without any quoted request.
func cleanMessage(s string) string {
	// Some AWS services quote the signed request in a signature error,
	// session token included: nothing from there on is kept.
	s, _, _ = strings.Cut(s, "The Canonical String")
	s, _, _ = strings.Cut(s, "The String-to-Sign")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	const max = 300
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.TrimSpace(s)
}

// describeJSONError says what is wrong with a JSON document without
// quoting any of it: the document holds secrets.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON (syntax error at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("not the expected JSON object (field %s is not a %s)", typ.Field, typ.Type)
	}
	return "not the expected JSON object"
}
