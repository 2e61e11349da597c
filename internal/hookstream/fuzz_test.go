// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeDestination feeds arbitrary bytes to the decoders of answers: they must never panic, and must return
// either a normalised destination or a *DecodeError. Seeds live in testdata/fuzz/FuzzDecodeDestination.
func FuzzDecodeDestination(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		dest, err := decodeDestination(data)
		if (dest == nil) == (err == nil) {
			t.Fatalf("decodeDestination returned %v and %v: want exactly one", dest, err)
		}
		if err != nil {
			if _, ok := errors.AsType[*DecodeError](err); !ok {
				t.Fatalf("error %T %v, want a *DecodeError", err, err)
			}
		} else {
			checkNormalised(t, dest)
		}
		// The other decoders read the same kind of bytes.
		if page, err := decodePage(data, "destinations", decodeDestinationRow); err == nil {
			for _, dest := range page.Rows {
				checkNormalised(t, dest)
			}
			if page.HasMore && page.Cursor == "" {
				t.Fatalf("a page with more to come but no cursor")
			}
		}
		_, _ = decodeCircuit(data)
	})
}

func checkNormalised(t *testing.T, dest *Destination) {
	t.Helper()
	if dest.Type != NormalizeType(dest.Type) {
		t.Fatalf("type %q is not normalised", dest.Type)
	}
	for _, ts := range []time.Time{dest.CreatedAt, dest.UpdatedAt} {
		if ts.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", ts)
		}
	}
	if dest.LastDeliveryAt != nil && dest.LastDeliveryAt.Location() != time.UTC {
		t.Fatalf("last_delivery_at %v is not UTC", dest.LastDeliveryAt)
	}
}

// FuzzDecodeSource feeds arbitrary bytes to the source decoders: they must never panic, and must return either a
// normalised source or a *DecodeError. Seeds live in testdata/fuzz/FuzzDecodeSource.
func FuzzDecodeSource(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := decodeSource(data)
		if (src == nil) == (err == nil) {
			t.Fatalf("decodeSource returned %v and %v: want exactly one", src, err)
		}
		if err != nil {
			if _, ok := errors.AsType[*DecodeError](err); !ok {
				t.Fatalf("error %T %v, want a *DecodeError", err, err)
			}
		} else {
			checkSourceNormalised(t, src)
		}
		if page, err := decodePage(data, "sources", decodeSourceRow); err == nil {
			for _, src := range page.Rows {
				checkSourceNormalised(t, src)
			}
			if page.HasMore && page.Cursor == "" {
				t.Fatalf("a page with more to come but no cursor")
			}
		}
	})
}

func checkSourceNormalised(t *testing.T, src *Source) {
	t.Helper()
	if src.VerificationType != nil && *src.VerificationType != NormalizeVerificationType(*src.VerificationType) {
		t.Fatalf("verification type %q is not normalised", *src.VerificationType)
	}
	for _, ts := range []time.Time{src.CreatedAt, src.UpdatedAt} {
		if ts.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", ts)
		}
	}
	if src.LastEventAt != nil && src.LastEventAt.Location() != time.UTC {
		t.Fatalf("last_event_at %v is not UTC", src.LastEventAt)
	}
	for name, value := range map[string]json.RawMessage{
		"source_config": src.SourceConfig, "verification_config": src.VerificationConfig, "json_schema": src.JSONSchema,
	} {
		if value == nil {
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, value); err != nil || value[0] != '{' || !bytes.Equal(compact.Bytes(), value) {
			t.Fatalf("%s is not a compact JSON object: %q", name, value)
		}
	}
}

// FuzzDecodeConnection feeds arbitrary bytes to the connection decoders: they must never panic, and must return
// either a normalised connection or a *DecodeError. Seeds live in testdata/fuzz/FuzzDecodeConnection.
func FuzzDecodeConnection(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		conn, err := decodeConnection(data)
		if (conn == nil) == (err == nil) {
			t.Fatalf("decodeConnection returned %v and %v: want exactly one", conn, err)
		}
		if err != nil {
			if _, ok := errors.AsType[*DecodeError](err); !ok {
				t.Fatalf("error %T %v, want a *DecodeError", err, err)
			}
		} else {
			checkConnectionNormalised(t, conn)
		}
		if page, err := decodePage(data, "connections", decodeConnectionRow); err == nil {
			for _, conn := range page.Rows {
				checkConnectionNormalised(t, conn)
			}
			if page.HasMore && page.Cursor == "" {
				t.Fatalf("a page with more to come but no cursor")
			}
		}
	})
}

func checkConnectionNormalised(t *testing.T, conn *Connection) {
	t.Helper()
	for _, ts := range []time.Time{conn.CreatedAt, conn.UpdatedAt} {
		if ts.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", ts)
		}
	}
	if conn.LastEventAt != nil && conn.LastEventAt.Location() != time.UTC {
		t.Fatalf("last_event_at %v is not UTC", conn.LastEventAt)
	}
	for i, rule := range conn.FilterRules {
		var compact bytes.Buffer
		if err := json.Compact(&compact, rule.Value); err != nil || !bytes.Equal(compact.Bytes(), rule.Value) {
			t.Fatalf("filter_rules[%d].value is not compact JSON: %q", i, rule.Value)
		}
	}
	// A decoded connection's rules are sent back as they were read, without an encoding error.
	if _, err := json.Marshal(conn.FilterRules); err != nil {
		t.Fatalf("the rules do not encode: %v", err)
	}
}
