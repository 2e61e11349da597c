// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// destinationProvider is one provider type of Destinations: everything the operator knows of it. The mapping, the
// comparison, the Secret watch and the plugin's export all look the type up here; the CRD's two CEL rules on
// DestinationSpec (exactly one block, type immutable) are checked against this table by
// TestCELRulesCoverEveryProvider.
type destinationProvider struct {
	// block is the JSON name of the DestinationSpec field that selects the type (spec.<block>).
	block string
	// wireType is hookstream's type for it, in the long form (hookstream.Type...).
	wireType string
	// isSet reports whether the spec sets the block.
	isSet func(spec *v1.DestinationSpec) bool
	// desire maps the block into the request being built: the top-level HTTP fields, or provider_config.
	desire func(spec *v1.DestinationSpec, b *desiredBuilder) error
	// compare compares the type's fields of the remote row with the request, adding the differences and the PATCH
	// that converges them to obs.
	compare func(want *desiredDestination, got *hookstream.Destination, obs *destinationObservation, secretsRotated bool)
	// secretRefs lists the Secret keys the block reads (the Secret watch).
	secretRefs func(spec *v1.DestinationSpec) []v1.SecretKeySelector
	// export sets the block from a remote row (kubectl hookstream export). Secret values, which hookstream masks,
	// become references made by ref from hookstream's key name. It returns what the block cannot express.
	export func(row *hookstream.Destination, spec *v1.DestinationSpec, ref func(key string) v1.SecretKeySelector) []string
}

// destinationObservation is the comparison's result: the differing fields and the PATCH that converges them.
type destinationObservation = managed.Observation[*hookstream.UpdateRequest]

// destinationProviders is the table of provider types, one entry per provider block of DestinationSpec.
var destinationProviders = []destinationProvider{
	{
		block:    "http",
		wireType: hookstream.TypeHTTP,
		isSet:    func(s *v1.DestinationSpec) bool { return s.HTTP != nil },
		desire: func(s *v1.DestinationSpec, b *desiredBuilder) error {
			return b.want.mapHTTP(s.HTTP, b.resolve, b.secret)
		},
		compare:    compareHTTP,
		secretRefs: httpSecretRefs,
		export: func(row *hookstream.Destination, s *v1.DestinationSpec, ref func(string) v1.SecretKeySelector) []string {
			var warnings []string
			s.HTTP, warnings = exportHTTP(row, ref)
			return warnings
		},
	},
	configProvider("awsSqs", hookstream.TypeAWSSQS,
		func(s *v1.DestinationSpec) **v1.AWSSQSDestination { return &s.AWSSQS },
		func(b *v1.AWSSQSDestination) []configKey {
			return append([]configKey{plainKey("queue_url", &b.QueueURL), plainKey("region", &b.Region),
				plainKey("message_group_id", &b.MessageGroupID)}, awsKeys(&b.AWSCredentials)...)
		}),
	configProvider("awsS3", hookstream.TypeAWSS3,
		func(s *v1.DestinationSpec) **v1.AWSS3Destination { return &s.AWSS3 },
		func(b *v1.AWSS3Destination) []configKey {
			return append([]configKey{plainKey("bucket", &b.Bucket), plainKey("region", &b.Region),
				plainKey("prefix", &b.Prefix), plainKey("format", &b.Format)}, awsKeys(&b.AWSCredentials)...)
		}),
	configProvider("awsEventBridge", hookstream.TypeAWSEventBridge,
		func(s *v1.DestinationSpec) **v1.AWSEventBridgeDestination { return &s.AWSEventBridge },
		func(b *v1.AWSEventBridgeDestination) []configKey {
			return append([]configKey{plainKey("event_bus_arn", &b.EventBusARN), plainKey("region", &b.Region),
				plainKey("source", &b.Source), plainKey("detail_type", &b.DetailType)}, awsKeys(&b.AWSCredentials)...)
		}),
	configProvider("gcpPubSub", hookstream.TypeGCPPubSub,
		func(s *v1.DestinationSpec) **v1.GCPPubSubDestination { return &s.GCPPubSub },
		func(b *v1.GCPPubSubDestination) []configKey {
			return []configKey{plainKey("project_id", &b.ProjectID), plainKey("topic_id", &b.TopicID),
				secretKey("service_account_json", &b.ServiceAccountJSONSecretRef)}
		}),
	configProvider("kafka", hookstream.TypeKafka,
		func(s *v1.DestinationSpec) **v1.KafkaDestination { return &s.Kafka },
		func(b *v1.KafkaDestination) []configKey {
			return []configKey{plainKey("bootstrap_servers", &b.BootstrapServers), plainKey("cluster_id", &b.ClusterID),
				plainKey("topic", &b.Topic), plainKey("api_key", &b.APIKey), secretKey("api_secret", &b.APISecretSecretRef)}
		}),
	configProvider("rabbitmq", hookstream.TypeRabbitMQ,
		func(s *v1.DestinationSpec) **v1.RabbitMQDestination { return &s.RabbitMQ },
		func(b *v1.RabbitMQDestination) []configKey {
			return []configKey{plainKey("url", &b.URL), plainKey("vhost", &b.VHost), plainKey("exchange", &b.Exchange),
				plainKey("routing_key", &b.RoutingKey), plainKey("username", &b.Username),
				secretKey("password", &b.PasswordSecretRef)}
		}),
	configProvider("websocket", hookstream.TypeWebSocket,
		func(s *v1.DestinationSpec) **v1.WebSocketDestination { return &s.WebSocket },
		func(b *v1.WebSocketDestination) []configKey {
			return []configKey{plainKey("channel_name", &b.ChannelName)}
		}),
}

// providerOf returns the provider type whose block the spec sets, nil when it sets none. The CRD lets a spec set
// exactly one.
func providerOf(spec *v1.DestinationSpec) *destinationProvider {
	for i := range destinationProviders {
		if destinationProviders[i].isSet(spec) {
			return &destinationProviders[i]
		}
	}
	return nil
}

// providerByType returns the provider type of a hookstream type in its long form, nil for a type without a block.
func providerByType(wireType string) *destinationProvider {
	for i := range destinationProviders {
		if destinationProviders[i].wireType == wireType {
			return &destinationProviders[i]
		}
	}
	return nil
}

// DestinationTypes lists the hookstream types a Destination can have, one per provider block, in the table's order.
func DestinationTypes() []string {
	types := make([]string, len(destinationProviders))
	for i, p := range destinationProviders {
		types[i] = p.wireType
	}
	return types
}

// configKey binds one provider_config key to the field of a provider block that holds it: a plain value (get and
// set) or a Secret key (secret).
type configKey struct {
	key    string
	get    func() string
	set    func(string)
	secret *v1.SecretKeySelector
}

// plainKey binds a provider_config key to a string field of a block.
func plainKey[T ~string](key string, field *T) configKey {
	return configKey{key: key, get: func() string { return string(*field) }, set: func(v string) { *field = T(v) }}
}

// secretKey binds a provider_config key whose value is secret (hookstream masks it on read) to the block's
// reference to the Secret key that holds it.
func secretKey(key string, ref *v1.SecretKeySelector) configKey {
	return configKey{key: key, secret: ref}
}

// awsKeys are the AWS access key pair's provider_config keys.
func awsKeys(c *v1.AWSCredentials) []configKey {
	return []configKey{plainKey("access_key_id", &c.AccessKeyID), secretKey("secret_access_key", &c.SecretAccessKeySecretRef)}
}

// configProvider is the entry of a type whose settings are hookstream's provider_config object: field selects the
// block in the spec, keys binds each provider_config key to the block's field, in both directions.
func configProvider[B any](block, wireType string, field func(*v1.DestinationSpec) **B,
	keys func(*B) []configKey) destinationProvider {
	return destinationProvider{
		block:    block,
		wireType: wireType,
		isSet:    func(s *v1.DestinationSpec) bool { return *field(s) != nil },
		desire: func(s *v1.DestinationSpec, b *desiredBuilder) error {
			provider := map[string]string{}
			for _, k := range keys(*field(s)) {
				if k.secret == nil {
					if v := k.get(); v != "" {
						provider[k.key] = v
					}
					continue
				}
				v, err := b.secret(objProviderConfig, k.key, *k.secret)
				if err != nil {
					return err
				}
				provider[k.key] = v
			}
			b.want.request.ProviderConfig = provider
			return nil
		},
		compare: compareProviderConfig,
		secretRefs: func(s *v1.DestinationSpec) []v1.SecretKeySelector {
			var refs []v1.SecretKeySelector
			for _, k := range keys(*field(s)) {
				if k.secret != nil {
					refs = append(refs, *k.secret)
				}
			}
			return refs
		},
		export: func(row *hookstream.Destination, s *v1.DestinationSpec, ref func(string) v1.SecretKeySelector) []string {
			b := new(B)
			*field(s) = b
			return exportProviderConfig(row.ProviderConfig, keys(b), ref)
		},
	}
}
