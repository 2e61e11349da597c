// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// Values the provider fixtures share.
const (
	fixtureRegion = "eu-west-1"
	fixtureKeyID  = "AKIACONFORMANCE"
	fixtureName   = "conformance"
)

// providerRequests are valid create requests of each destination type; secret values are the run's own.
func (s *suite) providerRequests() map[string]hookstream.CreateRequest {
	secret := func(name string) string { return s.sendSecret(s.cfg.Prefix() + name + "-0123456789") }
	// aws adds the region and the credentials every AWS type has.
	aws := func(config map[string]string, name string) map[string]string {
		config["region"], config["access_key_id"], config["secret_access_key"] = fixtureRegion, fixtureKeyID, secret(name)
		return config
	}
	return map[string]hookstream.CreateRequest{
		hookstream.TypeHTTP: {Type: hookstream.TypeHTTP, URL: "https://conformance.invalid/hook", AuthType: "bearer",
			AuthConfig: map[string]string{"token": secret("token")}, Headers: map[string]string{"X-Run": s.cfg.RunID},
			RetryEnabled: new(true), RetryIntervals: []int{30, 300}},
		hookstream.TypeAWSSQS: {Type: hookstream.TypeAWSSQS, ProviderConfig: aws(map[string]string{
			"queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/conformance"}, "sqs")},
		hookstream.TypeAWSS3: {Type: hookstream.TypeAWSS3, ProviderConfig: aws(map[string]string{
			"bucket": fixtureName}, "s3")},
		hookstream.TypeAWSEventBridge: {Type: hookstream.TypeAWSEventBridge, ProviderConfig: aws(map[string]string{
			"event_bus_arn": "arn:aws:events:eu-west-1:123456789012:event-bus/conformance", "source": fixtureName,
			"detail_type": "test"}, "eventbridge")},
		hookstream.TypeGCPPubSub: {Type: hookstream.TypeGCPPubSub, ProviderConfig: map[string]string{
			"project_id": fixtureName, "topic_id": fixtureName, "service_account_json": secret("pubsub")}},
		hookstream.TypeKafka: {Type: hookstream.TypeKafka, ProviderConfig: map[string]string{
			"bootstrap_servers": "kafka.conformance.invalid:9092", "cluster_id": "c", "topic": "t", "api_key": "k",
			"api_secret": secret("kafka")}},
		hookstream.TypeRabbitMQ: {Type: hookstream.TypeRabbitMQ, ProviderConfig: map[string]string{
			"url": "amqps://rabbit.conformance.invalid", "exchange": "e", "routing_key": "k", "username": "u",
			"password": secret("rabbitmq")}},
		hookstream.TypeWebSocket: {Type: hookstream.TypeWebSocket, ProviderConfig: map[string]string{
			"channel_name": s.cfg.Prefix() + "channel"}},
	}
}

var (
	templates = []string{"stripe", "github", "shopify", "slack", "twilio", "sendgrid", "intercom", "linear",
		"clerk", "svix", "paddle", "resend", "postmark", "typeform", "custom"}
	verificationTypes = []string{"hmac_sha256", "hmac_sha1", "standard_webhooks"}
)

// run makes the calls of the suite, step by step, until one that the next ones need fails or ctx ends.
func (s *suite) run(ctx context.Context) {
	p := s.cfg.Prefix()
	var httpDst *hookstream.Destination
	for _, typ := range []string{hookstream.TypeHTTP, hookstream.TypeAWSSQS, hookstream.TypeAWSS3,
		hookstream.TypeAWSEventBridge, hookstream.TypeGCPPubSub, hookstream.TypeKafka, hookstream.TypeRabbitMQ,
		hookstream.TypeWebSocket} {
		s.step(ctx, "create a "+typ+" destination", func() error {
			req := s.providerRequests()[typ]
			req.Name, req.Slug = p+typ, p+strings.ReplaceAll(typ, "_", "-")
			d, err := s.c.CreateDestination(ctx, &req)
			if err == nil && typ == hookstream.TypeHTTP {
				httpDst = d
			}
			return err
		})
	}
	if httpDst == nil {
		return
	}
	s.step(ctx, "list destinations two by two", func() error { return s.listPages(ctx) })
	s.step(ctx, "get and patch a destination", func() error {
		if _, err := s.c.GetDestination(ctx, httpDst.ID); err != nil {
			return err
		}
		_, err := s.c.UpdateDestination(ctx, httpDst.ID, &hookstream.UpdateRequest{TimeoutMS: hookstream.Set(12000)})
		return err
	})
	s.step(ctx, "read and reset the circuit", func() error {
		if _, err := s.c.GetCircuit(ctx, httpDst.ID); err != nil {
			return err
		}
		_, err := s.c.ResetCircuit(ctx, httpDst.ID)
		return err
	})
	for _, tmpl := range templates {
		s.step(ctx, "create, read and delete a "+tmpl+" source", func() error {
			src, err := s.c.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: p + tmpl, Slug: p + "tmpl-" + tmpl,
				Template: tmpl, VerificationSecret: new(s.sendSecret(
					"whsec_" + base64.StdEncoding.EncodeToString([]byte(p+tmpl+"-secret-0123456789"))))})
			if err != nil {
				return err
			}
			if _, err := s.c.GetSource(ctx, src.ID); err != nil {
				return err
			}
			return s.c.DeleteSource(ctx, src.ID)
		})
	}
	var src *hookstream.Source
	for i, vt := range verificationTypes {
		s.step(ctx, "create a source verifying "+vt, func() error {
			secret := s.sendSecret("d2hzZWNfY29uZm9ybWFuY2UtMDEyMzQ1Njc4OQ==")
			created, err := s.c.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: p + vt, Slug: p + "verify-" + fmt.Sprint(i),
				VerificationType: new(vt), VerificationSecret: &secret, DedupStrategy: new("payload_hash"),
				IPAllowlist: []string{"0.0.0.0/0"}, JSONSchema: json.RawMessage(`{"type":"object"}`)})
			if err == nil && src == nil {
				src = created
			}
			return err
		})
	}
	if src == nil {
		return
	}
	s.connections(ctx, src, httpDst)
	s.errorAnswers(ctx, httpDst)
}

// listPages lists the destinations two by two, following the cursor while has_more says so.
func (s *suite) listPages(ctx context.Context) error {
	cursor, pages, rows := "", 0, 0
	for {
		page, err := s.c.ListDestinations(ctx, hookstream.ListOptions{Cursor: cursor, Limit: 2})
		if err != nil {
			return err
		}
		pages++
		rows += len(page.Destinations)
		if !page.HasMore || page.Cursor == "" || pages > 1000 {
			break
		}
		cursor = page.Cursor
	}
	if rows < 8 {
		return fmt.Errorf("listed %d destinations in %d pages, want at least the run's 8", rows, pages)
	}
	return nil
}

// connections creates connections with filters and a transform, and probes the behaviours the variants change.
func (s *suite) connections(ctx context.Context, src *hookstream.Source, dst *hookstream.Destination) {
	p := s.cfg.Prefix()
	var conn *hookstream.Connection
	s.step(ctx, "create a connection with filters and a transform", func() error {
		var err error
		conn, err = s.c.CreateConnection(ctx, &hookstream.ConnectionCreateRequest{SourceID: src.ID, DestinationID: dst.ID,
			Name: p + "route", FilterRules: []hookstream.FilterRule{{Field: "payload.action", Op: "eq", Value: mustJSON("opened")}},
			TransformExpression: new(`{"n": number}`)})
		return err
	})
	if conn == nil {
		return
	}
	s.step(ctx, "list, get and patch connections", func() error {
		for _, err := range s.c.AllConnections(ctx, hookstream.ConnectionListOptions{SourceID: src.ID}) {
			if err != nil {
				return err
			}
		}
		if _, err := s.c.GetConnection(ctx, conn.ID); err != nil {
			return err
		}
		updated, err := s.c.UpdateConnection(ctx, conn.ID, &hookstream.ConnectionUpdateRequest{Enabled: hookstream.Set(false)})
		if err == nil && updated.Status == "disabled" {
			s.probed = append(s.probed, "coupled-enabled-status")
		}
		return err
	})
	s.step(ctx, "a second connection with the same name", func() error {
		_, err := s.c.CreateConnection(ctx, &hookstream.ConnectionCreateRequest{SourceID: src.ID, DestinationID: dst.ID, Name: p + "route"})
		if hookstream.IsConflict(err) {
			s.probed = append(s.probed, "unique-connection-names")
			return nil
		}
		return err
	})
	s.step(ctx, "a transform that does not compile", func() error {
		_, err := s.c.CreateConnection(ctx, &hookstream.ConnectionCreateRequest{SourceID: src.ID, DestinationID: dst.ID,
			Name: p + "broken", TransformExpression: new("{ broken")})
		if expectStatus(err, http.StatusBadRequest) == nil {
			s.probed = append(s.probed, "jsonata-400")
			return nil
		}
		return err
	})
	s.step(ctx, "delete a source that a connection uses", func() error {
		err := s.c.DeleteSource(ctx, src.ID)
		if hookstream.IsConflict(err) {
			return nil // the contract's default
		}
		if err != nil {
			return err
		}
		got, gerr := s.c.GetConnection(ctx, conn.ID)
		switch {
		case hookstream.IsNotFound(gerr):
			s.probed = append(s.probed, "cascade-delete")
		case gerr == nil && got.Dangling():
			s.probed = append(s.probed, "dangling-connections")
		default:
			return fmt.Errorf("the source was deleted, and its connection reads %v", gerr)
		}
		return nil
	})
}

// errorAnswers checks the 404, 409, 400 and 401 answers.
func (s *suite) errorAnswers(ctx context.Context, dst *hookstream.Destination) {
	p := s.cfg.Prefix()
	s.step(ctx, "404 for a missing destination", func() error {
		_, err := s.c.GetDestination(ctx, "00000000000000000000000000000000")
		return expectStatus(err, http.StatusNotFound)
	})
	s.step(ctx, "409 for a taken slug", func() error {
		_, err := s.c.CreateDestination(ctx, &hookstream.CreateRequest{Name: p + "again", Slug: dst.Slug,
			URL: "https://conformance.invalid/again"})
		return expectStatus(err, http.StatusConflict)
	})
	s.step(ctx, invalidStep+"a slug that breaks its pattern", func() error {
		d, err := s.c.CreateDestination(ctx, &hookstream.CreateRequest{Name: p + "bad", Slug: p + "Not A Slug",
			URL: "https://conformance.invalid/bad"})
		if err == nil {
			_ = s.c.DeleteDestination(ctx, d.ID)
			return errors.New("a slug with capitals and spaces was accepted")
		}
		return expectStatus(err, http.StatusBadRequest)
	})
	s.step(ctx, "401 for a wrong key", func() error {
		bad, err := hookstream.New(hookstream.Options{BaseURL: s.cfg.BaseURL, APIKey: "hs_test_" + strings.Repeat("0", 64),
			HTTPClient: &http.Client{Transport: s.rec}})
		if err != nil {
			return err
		}
		_, err = bad.ListDestinations(ctx, hookstream.ListOptions{Limit: 1})
		return expectStatus(err, http.StatusUnauthorized)
	})
}
