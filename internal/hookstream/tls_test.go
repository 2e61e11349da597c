// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// TestTLSVerificationIsAlwaysOn: a server whose certificate no trusted authority signed is refused, unless its
// CA is given as an extra bundle.
func TestTLSVerificationIsAlwaysOn(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"destinations":[],"cursor":null,"has_more":false}`))
	}))
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	tests := map[string]struct {
		ca      []byte
		trusted bool
	}{
		"system authorities only": {ca: nil, trusted: false},
		"server's CA as a bundle": {ca: caPEM, trusted: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			httpClient, err := hookstream.NewHTTPClient(tc.ca)
			if err != nil {
				t.Fatal(err)
			}
			c, err := hookstream.New(hookstream.Options{BaseURL: srv.URL + "/v1", APIKey: "hs_test_tls", HTTPClient: httpClient})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListDestinations(context.Background(), hookstream.ListOptions{})
			var unknownAuthority x509.UnknownAuthorityError
			switch {
			case tc.trusted && err != nil:
				t.Errorf("with the CA bundle: %v", err)
			case !tc.trusted && !errors.As(err, &unknownAuthority):
				t.Errorf("without the CA bundle: err = %v, want an unknown authority error", err)
			}
		})
	}
	if _, err := hookstream.NewHTTPClient([]byte("not a certificate")); err == nil {
		t.Errorf("a bundle without certificates was accepted")
	}
}
