// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package hookstream is the REST client for the hookstream API (https://hookstream.io/v1): destinations (with
// their circuit breakers), sources, and the connections that route a source's events to a destination. Each
// resource is one file of calls (destinations.go, sources.go, connections.go) over one transport, and shares the
// paging, path and envelope handling of resource.go.
//
// The service answers with raw rows of its SQLite store: nested objects and arrays arrive as JSON strings,
// booleans as 0/1 and unset columns as null. The decoder accepts that encoding and the few alternatives the
// contract (package contract) says deployments answer, refuses anything else with a *DecodeError, and hands
// callers one normalised Destination, Source or Connection, so that code comparing desired and observed state
// never sees the wire format. A source's ingest URL is Source.IngestURL(Client.BaseURL()). A connection's filter
// rule values are compact JSON text, and a connection whose source or destination name reads null is Dangling.
//
// A connection has no natural key: after a lost create answer, list the connections of its source and
// destination (AllConnections, whose filters the client enforces even on a server that ignores them) and match the
// name (see CreateConnection).
//
// Errors are typed: an *APIError for every answer outside 2xx, matched with errors.Is against the sentinels
// (ErrNotFound, ErrConflict, ...) or with the Is* helpers; transport failures keep their cause for IsRetryable.
// The API key never appears in an error, a log line or a String() result; neither do the secrets of requests,
// nor a source's verification secret, nor any value of an answer the client could not decode.
package hookstream
