// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// Source is one source row exactly as hookstream's store holds it and its API returns it, encoded as
// Destination is. Field order follows the Source schema of the OpenAPI contract.
type Source struct {
	ID                      string  `json:"id"`
	OrgID                   string  `json:"org_id"`
	EnvID                   string  `json:"env_id"`
	Name                    string  `json:"name"`
	Slug                    string  `json:"slug"`
	Description             *string `json:"description"`
	Type                    string  `json:"type"`
	SourceConfig            *string `json:"source_config"`
	Template                *string `json:"template"`
	VerificationEnabled     int64   `json:"verification_enabled"`
	VerificationType        *string `json:"verification_type"`
	VerificationSecret      *string `json:"verification_secret"`
	VerificationHeader      *string `json:"verification_header"`
	VerificationConfig      *string `json:"verification_config"`
	DedupEnabled            int64   `json:"dedup_enabled"`
	DedupStrategy           *string `json:"dedup_strategy"`
	DedupField              *string `json:"dedup_field"`
	DedupWindowSeconds      int64   `json:"dedup_window_seconds"`
	IPAllowlist             *string `json:"ip_allowlist"`
	IPDenylist              *string `json:"ip_denylist"`
	SchemaValidationEnabled int64   `json:"schema_validation_enabled"`
	JSONSchema              *string `json:"json_schema"`
	SchemaAction            *string `json:"schema_action"`
	Status                  string  `json:"status"`
	EventCount              int64   `json:"event_count"`
	LastEventAt             *string `json:"last_event_at"`
	IsEphemeral             int64   `json:"is_ephemeral"`
	ExpiresAt               *string `json:"expires_at"`
	RequestLimit            *int64  `json:"request_limit"`
	CreatedAt               string  `json:"created_at"`
	UpdatedAt               string  `json:"updated_at"`
}

// ErrSourceNotFound reports an id that matches no source.
var ErrSourceNotFound = errors.New("source not found")

// errForbidden answers 403 "Forbidden": a create names an org or environment that is not the key's own.
var errForbidden = errors.New("forbidden")

const defaultDedupWindowSeconds = 300

// masked returns the row as the API shows it: verification_secret masked.
func (s Source) masked() Source {
	if s.VerificationSecret != nil {
		secret := maskSecret(*s.VerificationSecret)
		s.VerificationSecret = &secret
	}
	return s
}

// sourceRecord is a stored source row with its insertion sequence, the order lists page by.
type sourceRecord struct {
	Source
	seq int64
}

// Source returns a stored row of any project, verification_secret unmasked.
func (s *Server) Source(ctx context.Context, id string) (Source, error) {
	r, err := s.store.sources.lookup(ctx, "", id)
	return r.Source, err
}

// sourceResource serves sources: verification_secret masked.
func (s *Server) sourceResource() resource[sourceRecord, *sourceDraft] {
	return resource[sourceRecord, *sourceDraft]{
		server:  s,
		rows:    &s.store.sources,
		name:    "source",
		names:   "sources",
		show:    s.showSource,
		body:    &sourceBody,
		draftOf: func(r *sourceRecord) *sourceDraft { return newSourceDraft(&r.Source) },
		touch:   func(r *sourceRecord, now string) { r.UpdatedAt = now },
	}
}

func (s *Server) createSource(c *call) {
	s.sources.create(c, func(now string) sourceRecord {
		return sourceRecord{Source: Source{
			ID:                 s.newID("src_"),
			OrgID:              c.project.OrgID,
			EnvID:              c.project.EnvID,
			Type:               sourceTypeHTTP,
			DedupWindowSeconds: defaultDedupWindowSeconds,
			Status:             "active",
			CreatedAt:          now,
			UpdatedAt:          now,
		}}
	}, func(ctx context.Context, r *sourceRecord) error {
		return slugFailure(s.store.createSource(ctx, r, s.opts.MaxSources), "Source slug already exists",
			fmt.Sprintf("Plan limit reached: %d sources", s.opts.MaxSources))
	})
}

// ingestAliasPrefix is the path of the ingest URL a source names in its url and ingest_url fields under
// ingest-url-field: another path than the one computed from the API's base URL, so that a client that prefers
// the field is seen to.
const ingestAliasPrefix = "/in/"

// showSource returns a source row as the API shows it: verification_secret masked, or as the variants have it.
func (s *Server) showSource(c *call, r sourceRecord) any {
	v := s.variants
	if !v.rewritesRows() && !v.secretPlaintext && !v.secretOtherMask && !v.secretNull {
		return r.masked()
	}
	row := r.Source
	if row.VerificationSecret != nil {
		if v.secretNull {
			row.VerificationSecret = nil
		} else {
			secret := s.secretView(*row.VerificationSecret)
			row.VerificationSecret = &secret
		}
	}
	var extra []member
	if v.ingestURLField {
		scheme := "http"
		if c.r.TLS != nil {
			scheme = "https"
		}
		u, _ := json.Marshal(scheme + "://" + c.r.Host + ingestAliasPrefix + url.PathEscape(row.ID))
		extra = []member{{name: "url", value: u}, {name: "ingest_url", value: u}}
	}
	return v.rewrite(row, sourceShape, extra...)
}
