// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinels matched by *APIError.Is, by status class. The service has no machine-readable error codes, so the
// status is all a caller can branch on.
var (
	ErrInvalid      = errors.New("hookstream: invalid request")   // 400, 422
	ErrUnauthorized = errors.New("hookstream: unauthorized")      // 401
	ErrForbidden    = errors.New("hookstream: forbidden")         // 403, including the plan's resource limits
	ErrNotFound     = errors.New("hookstream: not found")         // 404, including another project's id
	ErrConflict     = errors.New("hookstream: conflict")          // 409, a slug or name taken, or a delete refused
	ErrTooLarge     = errors.New("hookstream: request too large") // 413
	ErrRateLimited  = errors.New("hookstream: rate limited")      // 429, or a server pause that outlasts the deadline
	ErrServer       = errors.New("hookstream: server error")      // 5xx
)

const (
	// maxExcerptRunes bounds how much of a non-JSON error body reaches an error message.
	maxExcerptRunes = 200
	// maxMessageRunes bounds a message taken from the error envelope.
	maxMessageRunes = 1000
)

// APIError is an answer outside 2xx.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the envelope's "error", or the status text followed by an excerpt of a non-JSON body.
	Message string
	// RequestID is the envelope's "request_id" (or the X-Request-Id header), for hookstream's support.
	RequestID string
	// RetryAfter is how long the server asks to wait: Retry-After, else RateLimit-Reset (429 and 503 only).
	RetryAfter time.Duration
	// Route is the route template, for example "PATCH /destinations/{id}".
	Route string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("hookstream: ")
	if e.Route != "" {
		b.WriteString(e.Route)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d", e.StatusCode)
	message := e.Message
	if message == "" {
		message = http.StatusText(e.StatusCode)
	}
	if message != "" {
		b.WriteString(" ")
		b.WriteString(message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Is matches the sentinel of the error's status class.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalid:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrTooLarge:
		return e.StatusCode == http.StatusRequestEntityTooLarge
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return false
}

// WaitError is a limiter refusing to wait: the wait it would need ends after the call's deadline. It matches
// ErrRateLimited, so callers requeue after Wait instead of spending a request the server would refuse.
type WaitError struct {
	// Wait is how long until a request may be sent.
	Wait time.Duration
	// ServerPause tells a pause the server asked for (429, Retry-After, quota exhausted) from the local budget.
	ServerPause bool
}

func (e *WaitError) Error() string {
	if e.ServerPause {
		return fmt.Sprintf("hookstream: the server paused requests with this key for another %s",
			e.Wait.Round(time.Millisecond))
	}
	return fmt.Sprintf("hookstream: the local rate limit needs a %s wait, beyond the deadline",
		e.Wait.Round(time.Millisecond))
}

// Is makes a WaitError a rate limit.
func (e *WaitError) Is(target error) bool { return target == ErrRateLimited }

// IsNotFound reports a 404: the resource is gone, or belongs to another project.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports a 409: the slug is already used in the project, a connection name is taken on a deployment
// that keeps them unique, or a source or destination that connections reference cannot be deleted.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsUnauthorized reports a 401: a bad, revoked or missing API key.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsForbidden reports a 403: no permission, or the plan's destination or source limit reached.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// IsTooLarge reports a request hookstream refused as too large (413): no retry can cure it.
func IsTooLarge(err error) bool { return errors.Is(err, ErrTooLarge) }

// IsInvalid reports a request the server rejected as invalid (400), or one the client refused to send.
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }

// IsRateLimited reports a 429, or a limiter refusing to wait past the deadline, with how long to wait before
// trying again: Retry-After, else RateLimit-Reset, else the limiter's own estimate.
func IsRateLimited(err error) (wait time.Duration, ok bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests {
		return apiErr.RetryAfter, true
	}
	if waitErr, ok := errors.AsType[*WaitError](err); ok {
		return waitErr.Wait, true
	}
	return 0, false
}

// IsRetryable reports whether the same request may succeed later unchanged: rate limits, 5xx, 408, timeouts and
// network failures. Other 4xx answers, a cancelled context and undecodable answers are not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		return apiErr.StatusCode == http.StatusTooManyRequests ||
			apiErr.StatusCode == http.StatusRequestTimeout ||
			(apiErr.StatusCode >= 500 && apiErr.StatusCode <= 599)
	}
	if _, ok := errors.AsType[*WaitError](err); ok {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	for _, errno := range []syscall.Errno{
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN,
	} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	if dnsErr, ok := errors.AsType[*net.DNSError](err); ok {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}

// errorEnvelope is the documented error body; "message" and a nested error object are tolerated too.
type errorEnvelope struct {
	Error     json.RawMessage `json:"error"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
}

func newAPIError(route string, resp *http.Response, body []byte, info RateLimitInfo, apiKey string) *APIError {
	apiErr := &APIError{StatusCode: resp.StatusCode, Route: route}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		apiErr.RetryAfter = info.RetryAfter
	}
	var envelope errorEnvelope
	if err := json.Unmarshal(body, &envelope); err == nil {
		apiErr.Message = envelopeMessage(envelope)
		apiErr.RequestID = envelope.RequestID
	} else if excerpt := excerptOf(redact(string(body), apiKey), maxExcerptRunes); excerpt != "" {
		apiErr.Message = http.StatusText(resp.StatusCode) + ": " + excerpt
	}
	if apiErr.RequestID == "" {
		apiErr.RequestID = resp.Header.Get("X-Request-Id")
	}
	apiErr.Message = truncateRunes(redact(sanitise(apiErr.Message), apiKey), maxMessageRunes)
	apiErr.RequestID = truncateRunes(redact(sanitise(apiErr.RequestID), apiKey), 100)
	return apiErr
}

func envelopeMessage(envelope errorEnvelope) string {
	var text string
	if json.Unmarshal(envelope.Error, &text) == nil && text != "" {
		return text
	}
	var nested struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(envelope.Error, &nested) == nil && nested.Message != "" {
		return nested.Message
	}
	return envelope.Message
}

// excerptOf returns the start of a non-JSON body on one line, for an error message.
func excerptOf(body string, limit int) string {
	return truncateRunes(strings.Join(strings.Fields(sanitise(body)), " "), limit)
}

// sanitise replaces control characters and invalid UTF-8, so that a body cannot forge log lines.
func sanitise(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
}

// redact removes the API key, in case a proxy's error page echoes the request headers.
func redact(s, apiKey string) string {
	if apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, apiKey, "<redacted>")
}

// truncateRunes shortens s to at most limit runes, the last one an ellipsis when something was cut.
func truncateRunes(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	runes := []rune(s)
	return string(runes[:limit-1]) + "…"
}
