// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"crypto/hmac"
	"crypto/sha1" // HMAC-SHA1 is one of the documented verification types
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// defaultSignatureHeader carries an HMAC signature when the source names no verification_header.
const defaultSignatureHeader = "X-Webhook-Signature"

// signatureTolerance is how far a signed timestamp may lie from the emulator's clock, either way.
const signatureTolerance = 5 * time.Minute

// signatureError answers 401 with its message.
type signatureError struct{ message string }

func (e *signatureError) Error() string { return e.message }

var (
	errMissingSignature = &signatureError{"Missing signature"}
	errInvalidSignature = &signatureError{"Invalid signature"}
	errStaleSignature   = &signatureError{"Signature timestamp outside the tolerance"}
)

// verifySignature checks a request against the source's verification settings; nil when verification is
// off or the request verifies. body is the raw request body.
func verifySignature(src *Source, header http.Header, body []byte, now time.Time) error {
	if src.VerificationEnabled == 0 || src.VerificationType == nil || src.VerificationSecret == nil {
		return nil
	}
	secret := *src.VerificationSecret
	switch *src.VerificationType {
	case verificationStandardWebhooks:
		return verifyStandardWebhooks(secret, header, body, now)
	case verificationHMACSHA1:
		return verifyHMAC(sha1.New, secret, src, header, body, now)
	default:
		return verifyHMAC(sha256.New, secret, src, header, body, now)
	}
}

// verifyHMAC checks an HMAC of the raw body, hex-encoded unless verification_config says
// {"encoding":"base64"}, after an optional "<algorithm>=" prefix such as "sha256=" or "v0=". A value in
// Stripe's form, "t=<unix seconds>,v1=<hex>[,v1=<hex>…]", is checked as Stripe signs it instead: the HMAC of
// "<t>.<body>", hex-encoded, with t within the tolerance.
func verifyHMAC(newHash func() hash.Hash, secret string, src *Source, header http.Header, body []byte, now time.Time) error {
	name := defaultSignatureHeader
	if src.VerificationHeader != nil {
		name = *src.VerificationHeader
	}
	value := strings.TrimSpace(header.Get(name))
	if value == "" {
		return errMissingSignature
	}
	if timestamp, signatures, ok := parseStripeSignature(value); ok {
		if err := checkTimestamp(timestamp, now); err != nil {
			return err
		}
		want := computeHMAC(newHash, []byte(secret), []byte(timestamp+"."), body)
		for _, signature := range signatures {
			if got, err := hex.DecodeString(signature); err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
		return errInvalidSignature
	}

	// A base64 value's padding is no prefix: what follows a prefix's "=" is the signature itself.
	if prefix, rest, found := strings.Cut(value, "="); found && rest != "" && rest[0] != '=' &&
		isAlphanumeric(prefix) && len(prefix) <= 16 {
		value = rest
	}
	var got []byte
	var err error
	if hmacEncoding(src) == "base64" {
		got, err = decodeBase64(value)
	} else {
		got, err = hex.DecodeString(value)
	}
	if err != nil || !hmac.Equal(got, computeHMAC(newHash, []byte(secret), body)) {
		return errInvalidSignature
	}
	return nil
}

// verifyStandardWebhooks checks a Standard Webhooks signature: webhook-id, webhook-timestamp (Unix seconds,
// within the tolerance) and webhook-signature, a space-separated list of "v1,<base64>" entries, one of which
// must be the HMAC-SHA256 of "<id>.<timestamp>.<body>" under the base64 secret (its "whsec_" prefix dropped).
// Svix's svix-id, svix-timestamp and svix-signature are read when the webhook- headers are all absent.
func verifyStandardWebhooks(secret string, header http.Header, body []byte, now time.Time) error {
	id, timestamp, signatures := header.Get("Webhook-Id"), header.Get("Webhook-Timestamp"), header.Get("Webhook-Signature")
	if id == "" && timestamp == "" && signatures == "" {
		id, timestamp, signatures = header.Get("Svix-Id"), header.Get("Svix-Timestamp"), header.Get("Svix-Signature")
	}
	if id == "" || timestamp == "" || signatures == "" {
		return errMissingSignature
	}
	if err := checkTimestamp(timestamp, now); err != nil {
		return err
	}
	key, ok := standardWebhooksKey(secret)
	if !ok {
		return errInvalidSignature
	}
	want := computeHMAC(sha256.New, key, []byte(id+"."+timestamp+"."), body)
	for entry := range strings.FieldsSeq(signatures) {
		version, signature, _ := strings.Cut(entry, ",")
		if version != "v1" {
			continue
		}
		if got, err := decodeBase64(signature); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errInvalidSignature
}

// standardWebhooksKey decodes a Standard Webhooks secret: base64, optionally prefixed "whsec_".
func standardWebhooksKey(secret string) ([]byte, bool) {
	key, err := decodeBase64(strings.TrimPrefix(secret, "whsec_"))
	return key, err == nil && len(key) > 0
}

func computeHMAC(newHash func() hash.Hash, key []byte, parts ...[]byte) []byte {
	mac := hmac.New(newHash, key)
	for _, part := range parts {
		mac.Write(part)
	}
	return mac.Sum(nil)
}

// checkTimestamp accepts Unix seconds within signatureTolerance of now.
func checkTimestamp(timestamp string, now time.Time) error {
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errInvalidSignature
	}
	if skew := now.Sub(time.Unix(seconds, 0)); skew > signatureTolerance || skew < -signatureTolerance {
		return errStaleSignature
	}
	return nil
}

// parseStripeSignature reads "t=<timestamp>,v1=<sig>[,v1=<sig>…]"; other schemes in the list (v0) are
// ignored, as Stripe's libraries do.
func parseStripeSignature(value string) (timestamp string, signatures []string, ok bool) {
	for part := range strings.SplitSeq(value, ",") {
		key, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, false
		}
		switch key {
		case "t":
			timestamp = val
		case "v1":
			signatures = append(signatures, val)
		}
	}
	return timestamp, signatures, timestamp != "" && len(signatures) > 0
}

// hmacEncoding is the encoding verification_config names, "hex" by default.
func hmacEncoding(src *Source) string {
	if src.VerificationConfig == nil {
		return "hex"
	}
	var config struct {
		Encoding string `json:"encoding"`
	}
	if err := json.Unmarshal([]byte(*src.VerificationConfig), &config); err != nil || config.Encoding == "" {
		return "hex"
	}
	return config.Encoding
}

// decodeBase64 reads standard base64, padded or not.
func decodeBase64(value string) ([]byte, error) {
	if decoded, err := base64.StdEncoding.DecodeString(value); err == nil {
		return decoded, nil
	}
	decoded, err := base64.RawStdEncoding.DecodeString(value)
	if err != nil {
		return nil, errors.New("not base64")
	}
	return decoded, nil
}

func isAlphanumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
