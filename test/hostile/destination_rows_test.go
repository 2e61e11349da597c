// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hostile

import (
	"fmt"
	"strings"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

const (
	msgHeaderName  = "must be an HTTP header name (an RFC 9110 token)"
	msgHeaderValue = "a value in headers holds a control character"
	msgUserinfo    = "must not carry a user name or password (user:password@host)"
	// secretValue is what the rows' Secrets hold: it must show nowhere.
	secretValue = "hostile-secret-value-7f3a"
)

var receiverSecret = secret("receiver", map[string]string{"token": secretValue})

func destinationRows() []row {
	return []row{
		// Header names and values, at apply time.
		{name: "destination: header name with a space", apply: "every name in headers " + msgHeaderName,
			objects: httpDestination("headers: {X Team: a}")},
		{name: "destination: header name with a colon", apply: "every name in headers " + msgHeaderName,
			objects: httpDestination(`headers: {"X-Team:": a}`)},
		{name: "destination: empty header name", apply: "every name in headers " + msgHeaderName,
			objects: httpDestination(`headers: {"": a}`)},
		{name: "destination: header name with CR LF", apply: "every name in headers " + msgHeaderName,
			objects: httpDestination(`headers: {"X-A\r\nX-Injected": a}`)},
		{name: "destination: header names differing only in case",
			apply:   "two names in headers differ only in case",
			objects: httpDestination("headers: {X-Team: a, x-team: b}")},
		{name: "destination: plain header shadowing a secret one by case",
			apply:   "a header is set both in headers and headersFrom (header names are compared without case",
			objects: docs(receiverSecret, httpDestination("headers: {x-shared-key: plain}\nheadersFrom:\n- name: X-Shared-Key\n  valueFrom: {name: receiver, key: token}")),
			secret:  secretValue},
		{name: "destination: two headersFrom differing in case",
			apply: "two entries of headersFrom name the same header",
			objects: httpDestination("headersFrom:\n- name: X-Token\n  valueFrom: {name: receiver, key: token}\n" +
				"- name: x-token\n  valueFrom: {name: receiver, key: token}")},
		{name: "destination: headersFrom name with a space", apply: "name " + msgHeaderName,
			objects: httpDestination("headersFrom:\n- name: X Token\n  valueFrom: {name: receiver, key: token}")},
		{name: "destination: header value with CR LF", apply: msgHeaderValue,
			objects: httpDestination(`headers: {X-Team: "a\r\nX-Injected: 1"}`)},
		{name: "destination: header value with a lone LF", apply: msgHeaderValue,
			objects: httpDestination(`headers: {X-Team: "a\nb"}`)},
		{name: "destination: header value with NUL", apply: msgHeaderValue,
			objects: httpDestination(`headers: {X-Team: "a\0b"}`)},
		{name: "destination: header value with DEL", apply: msgHeaderValue,
			objects: httpDestination(`headers: {X-Team: "a\x7Fb"}`)},
		{name: "destination: api key header with a colon", apply: "header " + msgHeaderName,
			objects: docs(receiverSecret, httpDestination("auth:\n  type: apiKey\n  apiKey:\n    header: \"X-Key:\"\n    valueSecretRef: {name: receiver, key: token}"))},
		{name: "destination: Authorization header beside bearer auth",
			apply: "a header in headers or headersFrom is the one auth already sets",
			objects: httpDestination("headers: {authorization: Bearer plain}\nauth:\n  type: bearer\n  bearer:\n" +
				"    tokenSecretRef: {name: receiver, key: token}")},
		{name: "destination: basic username with a colon", apply: "username must hold no colon",
			objects: httpDestination("auth:\n  type: basic\n  basic:\n    username: \"ops:admin\"\n" +
				"    passwordSecretRef: {name: receiver, key: token}")},
		{name: "destination: basic username with CR LF", apply: "username must hold no colon",
			objects: httpDestination("auth:\n  type: basic\n  basic:\n    username: \"ops\\r\\nX-Injected: 1\"\n" +
				"    passwordSecretRef: {name: receiver, key: token}")},

		// URLs and other fields that could carry credentials.
		{name: "destination: http url with user and password", apply: "url " + msgUserinfo + ": set them in spec.http.auth",
			objects: destination("http: {url: \"https://ops:" + secretValue + "@receiver.example.com/hooks\"}"),
			secret:  secretValue},
		{name: "destination: http url with a user only", apply: "url " + msgUserinfo,
			objects: destination("http: {url: \"http://ops@receiver.example.com/hooks\"}")},
		{name: "destination: sqs queue url with userinfo", apply: "queueUrl " + msgUserinfo,
			objects: destination("awsSqs:\n  queueUrl: https://AKIA:x@sqs.eu-west-1.amazonaws.com/1/q\n  region: eu-west-1\n" +
				"  accessKeyId: AKIA\n  secretAccessKeySecretRef: {name: receiver, key: token}")},
		{name: "destination: rabbitmq url with a password", apply: "url " + msgUserinfo + ": set the user in username",
			objects: destination(rabbit("amqps://u:" + secretValue + "@rabbit.example.com")), secret: secretValue},
		{name: "destination: rabbitmq url with a user only", apply: "url " + msgUserinfo,
			objects: destination(rabbit("amqps://u@rabbit.example.com"))},
		{name: "destination: kafka bootstrap servers with credentials", apply: "bootstrapServers must not carry credentials",
			objects: destination("kafka:\n  bootstrapServers: \"SASL_SSL://k:s@broker:9092\"\n  clusterId: c\n  topic: t\n" +
				"  apiKey: k\n  apiSecretSecretRef: {name: receiver, key: token}")},
		{name: "destination: javascript url", apply: "url must be an absolute http:// or https:// URL",
			objects: destination("http: {url: \"javascript:alert(1)\"}")},
		{name: "destination: file url", apply: "url must be an absolute http:// or https:// URL",
			objects: destination("http: {url: \"file:///etc/passwd\"}")},
		{name: "destination: url without a host", apply: "url must be an absolute http:// or https:// URL",
			objects: destination("http: {url: \"https:///hooks\"}")},
		{name: "destination: url over 2048 characters", apply: "Too long: may not be more than 2048",
			objects: destination("http: {url: \"https://receiver.example.com/" + strings.Repeat("a", 2048) + "\"}")},
		{name: "destination: sqs queue url over plain http", apply: "queueUrl must be an https:// URL",
			objects: destination("awsSqs:\n  queueUrl: http://sqs.eu-west-1.amazonaws.com/1/q\n  region: eu-west-1\n" +
				"  accessKeyId: AKIA\n  secretAccessKeySecretRef: {name: receiver, key: token}")},

		// Sizes, enums and patterns the schema already holds.
		{name: "destination: header value over 8192 characters", apply: "Too long: may not be more than 8192",
			objects: httpDestination("headers: {X-Big: " + strings.Repeat("v", 8193) + "}")},
		{name: "destination: 51 headers", apply: "must have at most 50 items",
			objects: httpDestination("headers:\n" + indent(repeat(51, func(i int) string { return fmt.Sprintf("X-H%d: v", i) })))},
		{name: "destination: 51 headersFrom", apply: "must have at most 50 items",
			objects: httpDestination("headersFrom:\n" + repeat(51, func(i int) string {
				return fmt.Sprintf("- {name: X-H%d, valueFrom: {name: receiver, key: token}}", i)
			}))},
		{name: "destination: display name over 128 characters", apply: "Too long: may not be more than 128",
			objects: httpDestination("") + "  displayName: " + strings.Repeat("n", 129) + "\n"},
		{name: "destination: slug with capitals and underscore", apply: "spec.slug in body should match",
			objects: httpDestination("") + "  slug: Orders_1\n"},
		{name: "destination: slug over 64 characters", apply: "Too long: may not be more than 64",
			objects: httpDestination("") + "  slug: " + strings.Repeat("s", 65) + "\n"},
		{name: "destination: adoptID with a path", apply: "spec.adoptID in body should match",
			objects: httpDestination("") + "  adoptID: ../../admin\n"},
		{name: "destination: secret key with a path", apply: "spec.http.headersFrom[0].valueFrom.key in body should match",
			objects: httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: receiver, key: ../token}}")},
		{name: "destination: credentialsRef with an empty name", apply: "spec.credentialsRef.name",
			objects: httpDestination("") + "  credentialsRef: {name: \"\"}\n"},
		{name: "destination: GET method", apply: `spec.http.method: Unsupported value: "GET"`,
			objects: httpDestination("method: GET")},
		{name: "destination: timeout of zero", apply: "spec.http.timeoutSeconds in body should be greater than or equal to 1",
			objects: httpDestination("timeoutSeconds: 0")},
		{name: "destination: negative retry interval", apply: "spec.retry.intervalsSeconds[0] in body should be greater than or equal to 1",
			objects: httpDestination("") + "  retry: {intervalsSeconds: [-5]}\n"},
		{name: "destination: eleven retry intervals", apply: "must have at most 10 items",
			objects: httpDestination("") + "  retry: {intervalsSeconds: [1,2,3,4,5,6,7,8,9,10,11]}\n"},
		{name: "destination: websocket channel with a path", apply: "spec.websocket.channelName in body should match",
			objects: destination("websocket: {channelName: ../orders}")},
		{name: "destination: eventbridge arn of another service", apply: "spec.awsEventBridge.eventBusArn in body should match",
			objects: destination("awsEventBridge:\n  eventBusArn: arn:aws:iam::123456789012:role/admin\n  region: eu-west-1\n" +
				"  source: s\n  detailType: d\n  accessKeyId: AKIA\n  secretAccessKeySecretRef: {name: receiver, key: token}")},
		{name: "destination: two provider blocks", apply: "set exactly one provider block",
			objects: httpDestination("") + "  websocket: {channelName: orders}\n"},
		{name: "destination: bearer type without its block", apply: "set auth.bearer exactly when auth.type is bearer",
			objects: httpDestination("auth: {type: bearer}")},
		{name: "destination: unknown management policy", apply: `spec.managementPolicy: Unsupported value: "Takeover"`,
			objects: httpDestination("") + "  managementPolicy: Takeover\n"},

		// Immutable fields.
		{name: "destination: slug changed", apply: "spec.slug is immutable",
			objects: paused("Destination", "slug: orders\nhttp: {url: "+validURL+"}"),
			change:  paused("Destination", "slug: payments\nhttp: {url: "+validURL+"}")},
		{name: "destination: provider type changed", apply: "the provider type is immutable",
			objects: paused("Destination", "http: {url: "+validURL+"}"),
			change:  paused("Destination", "websocket: {channelName: orders}")},
		{name: "destination: adoptID added later", apply: "spec.adoptID cannot be added, changed or removed",
			objects: paused("Destination", "http: {url: "+validURL+"}"),
			change:  paused("Destination", "adoptID: abc123\nhttp: {url: "+validURL+"}")},

		// Refused by the manager before any write.
		{name: "destination: headersFrom Secret that does not exist", reason: v1.ReasonSecretNotFound,
			objects: httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: nowhere, key: token}}")},
		{name: "destination: headersFrom key the Secret lacks", reason: v1.ReasonSecretNotFound,
			objects: docs(receiverSecret, httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: receiver, key: other}}")),
			secret:  secretValue},
		{name: "destination: bearer token Secret that does not exist", reason: v1.ReasonSecretNotFound,
			objects: httpDestination("auth:\n  type: bearer\n  bearer: {tokenSecretRef: {name: nowhere, key: token}}")},
		{name: "destination: no credentials Secret", reason: v1.ReasonCredentialsNotFound, noCredentials: true,
			objects: httpDestination("")},
		{name: "destination: credentialsRef naming no Secret", reason: v1.ReasonCredentialsNotFound,
			objects: httpDestination("") + "  credentialsRef: {name: nowhere}\n"},
		{name: "destination: adoptID naming nothing", reason: v1.ReasonNotFound,
			objects: httpDestination("") + "  adoptID: doesnotexist0000\n"},
		{name: "destination: observed but absent", reason: v1.ReasonNotFound,
			objects: httpDestination("") + "  managementPolicy: Observe\n"},
		{name: "destination: slug taken by another destination", reason: v1.ReasonConflict, remoteCalls: 1,
			remote: takenDestinationSlug, objects: httpDestination("") + "  slug: taken\n"},

		// Refusals the manager is to make (built by the reconcile-time checks).
		{name: "destination: headersFrom Secret value with CR LF", reason: v1.ReasonInvalidSpec, objects: docs(secret("receiver", map[string]string{"token": secretValue + "\r\nX-Injected: 1"}),
			httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: receiver, key: token}}")),
			secret: secretValue},
		{name: "destination: bearer token with LF", reason: v1.ReasonInvalidSpec, objects: docs(secret("receiver", map[string]string{"token": secretValue + "\n"}),
			httpDestination("auth:\n  type: bearer\n  bearer: {tokenSecretRef: {name: receiver, key: token}}")),
			secret: secretValue},
		{name: "destination: basic password with NUL", reason: v1.ReasonInvalidSpec, objects: docs(secret("receiver", map[string]string{"token": secretValue + "\x00"}),
			httpDestination("auth:\n  type: basic\n  basic: {username: ops, passwordSecretRef: {name: receiver, key: token}}")),
			secret: secretValue},
		{name: "destination: headersFrom Secret value not UTF-8", reason: v1.ReasonInvalidSpec, objects: docs(secretBytes("receiver", "token", []byte(secretValue+"\xff\xfe")),
			httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: receiver, key: token}}")),
			secret: secretValue},
		{name: "destination: headers from Secrets over a megabyte", reason: v1.ReasonTooLarge, remoteCalls: 1,
			objects: docs(secret("big-a", map[string]string{"v": strings.Repeat("a", 600<<10)}),
				secret("big-b", map[string]string{"v": strings.Repeat("b", 600<<10)}),
				httpDestination("headersFrom:\n- {name: X-A, valueFrom: {name: big-a, key: v}}\n"+
					"- {name: X-B, valueFrom: {name: big-b, key: v}}"))},
		{name: "destination: adopted remote deleted outside the operator", reason: v1.ReasonNotFound, remote: adoptable, afterReady: deleteAdopted,
			objects: httpDestination("") + "  slug: adopted\n  adoptID: ${ADOPT_ID}\n"},
		{name: "destination: default display name over 128 characters", reason: v1.ReasonAvailable, remoteCalls: 1,
			objects: strings.Replace(httpDestination(""), "name: hostile", "name: "+strings.Repeat("d", 200), 1)},
		{name: "destination: url on loopback", reason: "URLNotAllowed", manager: denyInternal, objects: destination("http: {url: \"http://127.0.0.1:8080/hooks\"}")},
		{name: "destination: url on the cloud metadata address", reason: "URLNotAllowed", manager: denyInternal,
			objects: destination("http: {url: \"http://169.254.169.254/latest/meta-data/\"}")},
		{name: "destination: url on a private address", reason: "URLNotAllowed", manager: denyInternal, objects: destination("http: {url: \"https://10.0.0.7/hooks\"}")},
		{name: "destination: url on IPv6 loopback", reason: "URLNotAllowed", manager: denyInternal, objects: destination("http: {url: \"http://[::1]/hooks\"}")},
		{name: "destination: url host resolving to loopback", reason: "URLNotAllowed", manager: denyInternal,
			objects: destination("http: {url: \"http://localhost/hooks\"}")},
		{name: "destination: headersFrom naming the credentials Secret", reason: "SecretNotAllowed", objects: httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: hookstream-credentials, key: apiKey}}")},
		{name: "destination: bearer token from the credentials Secret", reason: "SecretNotAllowed", objects: httpDestination("auth:\n  type: bearer\n  bearer: {tokenSecretRef: {name: hookstream-credentials, key: apiKey}}")},
		{name: "destination: headersFrom Secret without the reference label", reason: "SecretNotAllowed",
			manager: labelledSecrets, objects: docs(receiverSecret, httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: receiver, key: token}}")),
			secret: secretValue},
		{name: "destination: headersFrom Secret with the reference label is sent", reason: v1.ReasonAvailable,
			remoteCalls: 1, manager: labelledSecrets, objects: docs(labelledSecret("receiver", map[string]string{"token": secretValue}),
				httpDestination("headersFrom:\n- {name: X-Token, valueFrom: {name: receiver, key: token}}")),
			secret: secretValue},
	}
}

// rabbit is a RabbitMQ provider block with the url.
func rabbit(url string) string {
	return "rabbitmq:\n  url: \"" + url + "\"\n  exchange: x\n  routingKey: r\n  username: u\n" +
		"  passwordSecretRef: {name: receiver, key: token}"
}
