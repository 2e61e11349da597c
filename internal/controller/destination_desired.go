/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controller

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// desiredDestination is the remote destination the spec asks for, secrets resolved. It is built by a pure function
// of the spec and the referenced Secret values, and is what the remote row is compared with.
type desiredDestination struct {
	// request is the full create body; its set fields are also the fields under management.
	request hookstream.CreateRequest
	// status is the remote `status` to converge to; empty when spec.state is unset.
	status string
	// manageHeaders, manageAuth: the user set these blocks, so they are compared and replaced whole.
	manageHeaders bool
	manageAuth    bool
	// secretFields lists, per remote object, the keys whose values are secret (masked on read).
	secretFields map[string][]string
	// secretMaterial is "path=value" of every secret value sent; only its keyed hash ever leaves memory.
	secretMaterial []string
}

// secret objects of the API whose values hookstream masks on read.
const (
	objAuthConfig     = "auth_config"
	objProviderConfig = "provider_config"
)

// providerType returns the hookstream type that the spec's provider block selects.
func providerType(spec *v1.DestinationSpec) string {
	switch {
	case spec.HTTP != nil:
		return hookstream.TypeHTTP
	case spec.AWSSQS != nil:
		return hookstream.TypeAWSSQS
	case spec.AWSS3 != nil:
		return hookstream.TypeAWSS3
	case spec.AWSEventBridge != nil:
		return hookstream.TypeAWSEventBridge
	case spec.GCPPubSub != nil:
		return hookstream.TypeGCPPubSub
	case spec.Kafka != nil:
		return hookstream.TypeKafka
	case spec.RabbitMQ != nil:
		return hookstream.TypeRabbitMQ
	case spec.WebSocket != nil:
		return hookstream.TypeWebSocket
	}
	return ""
}

// authTypes maps the spec's auth types to the API's.
var authTypes = map[v1.HTTPAuthType]string{
	v1.HTTPAuthNone:   "none",
	v1.HTTPAuthBearer: "bearer",
	v1.HTTPAuthBasic:  "basic",
	v1.HTTPAuthAPIKey: "api_key",
}

// buildDesired maps a Destination's spec to the remote destination it asks for.
func buildDesired(d *v1.Destination, resolve managed.SecretResolver) (*desiredDestination, error) {
	spec := &d.Spec
	want := &desiredDestination{
		request: hookstream.CreateRequest{
			Name: spec.DisplayName,
			Slug: destinationSlug(d),
			Type: providerType(spec),
		},
		status:       string(spec.State),
		secretFields: map[string][]string{},
	}
	if want.request.Name == "" {
		want.request.Name = defaultDisplayName(d.Name)
	}
	if want.request.Type == "" {
		return nil, fmt.Errorf("the spec has no provider block")
	}
	secret := func(object, key string, ref v1.SecretKeySelector) (string, error) {
		v, err := resolve(ref)
		if err != nil {
			return "", err
		}
		want.secretFields[object] = append(want.secretFields[object], key)
		want.secretMaterial = append(want.secretMaterial, object+"."+key+"="+v)
		return v, nil
	}
	provider := map[string]string{}
	setProvider := func(key, value string) {
		if value != "" {
			provider[key] = value
		}
	}
	providerSecret := func(key string, ref v1.SecretKeySelector) error {
		v, err := secret(objProviderConfig, key, ref)
		provider[key] = v
		return err
	}
	aws := func(c v1.AWSCredentials) error {
		setProvider("access_key_id", c.AccessKeyID)
		return providerSecret("secret_access_key", c.SecretAccessKeySecretRef)
	}

	var err error
	switch {
	case spec.HTTP != nil:
		err = want.mapHTTP(spec.HTTP, resolve, secret)
	case spec.AWSSQS != nil:
		p := spec.AWSSQS
		setProvider("queue_url", p.QueueURL)
		setProvider("region", p.Region)
		setProvider("message_group_id", p.MessageGroupID)
		err = aws(p.AWSCredentials)
	case spec.AWSS3 != nil:
		p := spec.AWSS3
		setProvider("bucket", p.Bucket)
		setProvider("region", p.Region)
		setProvider("prefix", p.Prefix)
		setProvider("format", string(p.Format))
		err = aws(p.AWSCredentials)
	case spec.AWSEventBridge != nil:
		p := spec.AWSEventBridge
		setProvider("event_bus_arn", p.EventBusARN)
		setProvider("region", p.Region)
		setProvider("source", p.Source)
		setProvider("detail_type", p.DetailType)
		err = aws(p.AWSCredentials)
	case spec.GCPPubSub != nil:
		p := spec.GCPPubSub
		setProvider("project_id", p.ProjectID)
		setProvider("topic_id", p.TopicID)
		err = providerSecret("service_account_json", p.ServiceAccountJSONSecretRef)
	case spec.Kafka != nil:
		p := spec.Kafka
		setProvider("bootstrap_servers", p.BootstrapServers)
		setProvider("cluster_id", p.ClusterID)
		setProvider("topic", p.Topic)
		setProvider("api_key", p.APIKey)
		err = providerSecret("api_secret", p.APISecretSecretRef)
	case spec.RabbitMQ != nil:
		p := spec.RabbitMQ
		setProvider("url", p.URL)
		setProvider("vhost", p.VHost)
		setProvider("exchange", p.Exchange)
		setProvider("routing_key", p.RoutingKey)
		setProvider("username", p.Username)
		err = providerSecret("password", p.PasswordSecretRef)
	case spec.WebSocket != nil:
		setProvider("channel_name", spec.WebSocket.ChannelName)
	}
	if err != nil {
		return nil, err
	}
	if want.request.Type != hookstream.TypeHTTP {
		want.request.ProviderConfig = provider
	}

	if r := spec.Retry; r != nil {
		want.request.RetryEnabled = r.Enabled
		want.request.RetryMaxAttempts = int32PtrToInt(r.MaxAttempts)
		if r.Backoff != "" {
			b := string(r.Backoff)
			want.request.RetryBackoffType = &b
		}
		for _, s := range r.IntervalsSeconds {
			want.request.RetryIntervals = append(want.request.RetryIntervals, int(s))
		}
	}
	if c := spec.CircuitBreaker; c != nil {
		want.request.CircuitBreakerEnabled = c.Enabled
		want.request.CircuitBreakerThreshold = int32PtrToInt(c.Threshold)
		if c.ResetSeconds != nil {
			ms := int(*c.ResetSeconds) * 1000
			want.request.CircuitBreakerResetMS = &ms
		}
	}
	slices.Sort(want.secretMaterial)
	return want, nil
}

func (want *desiredDestination) mapHTTP(h *v1.HTTPDestination, resolve managed.SecretResolver,
	secret func(object, key string, ref v1.SecretKeySelector) (string, error)) error {
	want.request.URL = h.URL
	want.request.Method = string(h.Method)
	if h.TimeoutSeconds != nil {
		ms := int(*h.TimeoutSeconds) * 1000
		want.request.TimeoutMS = &ms
	}
	if len(h.Headers) > 0 || len(h.HeadersFrom) > 0 {
		want.manageHeaders = true
		headers := make(map[string]string, len(h.Headers)+len(h.HeadersFrom))
		maps.Copy(headers, h.Headers)
		for _, hf := range h.HeadersFrom {
			// hookstream does not mask header values, so drift in them is visible without a hash.
			v, err := resolve(hf.ValueFrom)
			if err == nil {
				err = headerSafe(hf.ValueFrom, v)
			}
			if err != nil {
				return err
			}
			headers[hf.Name] = v
		}
		want.request.Headers = headers
	}
	if h.Auth == nil {
		return nil
	}
	want.manageAuth = true
	want.request.AuthType = authTypes[h.Auth.Type]
	// Every auth value ends up in a request header of each delivery.
	sent := secret
	secret = func(object, key string, ref v1.SecretKeySelector) (string, error) {
		v, err := sent(object, key, ref)
		if err == nil {
			err = headerSafe(ref, v)
		}
		return v, err
	}
	var err error
	switch h.Auth.Type {
	case v1.HTTPAuthBearer:
		var token string
		token, err = secret(objAuthConfig, "token", h.Auth.Bearer.TokenSecretRef)
		want.request.AuthConfig = map[string]string{"token": token}
	case v1.HTTPAuthBasic:
		var password string
		password, err = secret(objAuthConfig, "password", h.Auth.Basic.PasswordSecretRef)
		want.request.AuthConfig = map[string]string{"username": h.Auth.Basic.Username, "password": password}
	case v1.HTTPAuthAPIKey:
		var value string
		value, err = secret(objAuthConfig, "value", h.Auth.APIKey.ValueSecretRef)
		want.request.AuthConfig = map[string]string{"header": h.Auth.APIKey.Header, "value": value}
	}
	return err
}

// headerSafe refuses a Secret value that an HTTP header cannot carry: a control character other than a tab (CR
// and LF split the header; hookstream would store it and every delivery would fail). The message names the Secret
// and key, never the value.
func headerSafe(ref v1.SecretKeySelector, value string) error {
	if i := strings.IndexFunc(value, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }); i >= 0 {
		return managed.Refuse(v1.ReasonInvalidSpec, "key %q of Secret %q holds a control character (such as CR or "+
			"LF) at byte %d, which an HTTP header cannot carry; store the value without it (no trailing newline)",
			ref.Key, ref.Name, i)
	}
	return nil
}

// Request is the remote destination the spec asks for, as one JSON value.
func (want *desiredDestination) Request() any {
	return struct {
		Request hookstream.CreateRequest `json:"request"`
		Status  string                   `json:"status"`
	}{want.request, want.status}
}

// KeyDescription names the slug, the destination's natural key, for messages.
func (want *desiredDestination) KeyDescription() string {
	return fmt.Sprintf("slug %q", want.request.Slug)
}

// SecretMaterial lists the secret values the request carries, each with its field, sorted.
func (want *desiredDestination) SecretMaterial() []string { return want.secretMaterial }

func int32PtrToInt(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}
