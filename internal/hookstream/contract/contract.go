// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package contract holds the hookstream API contract as an OpenAPI 3 document. The client's and the emulator's
// tests check every exchange against it, so it is embedded: a clone of the repository tests the same contract
// wherever it is checked out.
package contract

import (
	"context"
	_ "embed"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Document is the OpenAPI 3 document, as YAML.
//
//go:embed hookstream-openapi.yaml
var Document []byte

// Load parses the document and validates it as OpenAPI 3, so that a broken edit fails every contract test with
// the reason instead of silently validating nothing.
func Load(ctx context.Context) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(Document)
	if err != nil {
		return nil, fmt.Errorf("loading the hookstream OpenAPI document: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validating the hookstream OpenAPI document: %w", err)
	}
	return doc, nil
}

// Router routes requests to the operations of the document, which it loads and validates once, on first use.
var Router = sync.OnceValues(func() (routers.Router, error) {
	doc, err := Load(context.Background())
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})
