// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hostile

import (
	"fmt"
	"strings"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// routed is a Connection between ids that need not exist (for refusals at apply time) with the extra fields.
func routed(fields string) string {
	return connection("sourceID: src0000\ndestinationID: dst0000\n" + fields)
}

// betweenRemotes is a Connection between the source and destination remoteEnds made, with the extra fields.
func betweenRemotes(fields string) string {
	return connection("sourceID: ${SOURCE_ID}\ndestinationID: ${DESTINATION_ID}\n" + fields)
}

func connectionRows() []row {
	return []row{
		// At apply time.
		{name: "connection: both sourceRef and sourceID", apply: "set exactly one of spec.sourceRef",
			objects: routed("sourceRef: {name: orders}")},
		{name: "connection: no destination", apply: "set exactly one of spec.destinationRef",
			objects: connection("sourceID: src0000")},
		{name: "connection: adoption by slug", apply: "spec.adoptionPolicy BySlug has no meaning for a Connection",
			objects: routed("adoptionPolicy: BySlug")},
		{name: "connection: sourceID with a path", apply: "spec.sourceID in body should match",
			objects: connection("sourceID: ../../sources\ndestinationID: dst0000")},
		{name: "connection: filter on an unknown field", apply: "spec.filters[0].field in body should match",
			objects: routed("filters:\n- {field: \"constructor.prototype\", op: eq, value: 1}")},
		{name: "connection: filter on an empty payload path", apply: "spec.filters[0].field in body should match",
			objects: routed("filters:\n- {field: \"payload..x\", op: eq, value: 1}")},
		{name: "connection: filter on a header name with CR LF", apply: "spec.filters[0].field in body should match",
			objects: routed("filters:\n- {field: \"headers.X-A\\r\\nX-B\", op: exists, value: true}")},
		{name: "connection: unknown filter operator", apply: `spec.filters[0].op: Unsupported value: "regex"`,
			objects: routed("filters:\n- {field: payload.type, op: regex, value: \".*\"}")},
		{name: "connection: 51 filters", apply: "must have at most 50 items",
			objects: routed("filters:\n" + repeat(51, func(i int) string {
				return fmt.Sprintf("- {field: payload.f%d, op: exists, value: true}", i)
			}))},
		{name: "connection: transform over 16384 characters", apply: "Too long: may not be more than 16384",
			objects: routed("transform: \"" + strings.Repeat("a", 16385) + "\"")},
		{name: "connection: display name over 128 characters", apply: "Too long: may not be more than 128",
			objects: routed("displayName: " + strings.Repeat("c", 129))},
		{name: "connection: adoptID changed", apply: "spec.adoptID cannot be added, changed or removed",
			objects: paused("Connection", "adoptID: abc\nsourceID: src0000\ndestinationID: dst0000"),
			change:  paused("Connection", "adoptID: abd\nsourceID: src0000\ndestinationID: dst0000")},

		// Refused by the manager.
		{name: "connection: transform that is no JSONata", reason: v1.ReasonInvalidSpec, remote: remoteEnds,
			objects: betweenRemotes("transform: \"$.data{\"")},
		{name: "connection: greater than a string", reason: v1.ReasonInvalidSpec, remote: remoteEnds,
			objects: betweenRemotes("filters:\n- {field: payload.amount, op: gt, value: \"100\"}")},
		{name: "connection: in with a string", reason: v1.ReasonInvalidSpec, remote: remoteEnds,
			objects: betweenRemotes("filters:\n- {field: payload.type, op: in, value: \"a,b\"}")},
		{name: "connection: exists with a number", reason: v1.ReasonInvalidSpec, remote: remoteEnds,
			objects: betweenRemotes("filters:\n- {field: payload.type, op: exists, value: 1}")},
		{name: "connection: contains an object", reason: v1.ReasonInvalidSpec, remote: remoteEnds,
			objects: betweenRemotes("filters:\n- {field: payload.type, op: contains, value: {a: 1}}")},
		{name: "connection: Source that does not exist", reason: v1.ReasonWaitingForSource,
			objects: connection("sourceRef: {name: nowhere}\ndestinationID: dst0000")},
		{name: "connection: Destination that does not exist", reason: v1.ReasonWaitingForDestination,
			objects: connection("sourceID: src0000\ndestinationRef: {name: nowhere}")},
		{name: "connection: sourceID naming nothing", reason: v1.ReasonNotFound, remoteCalls: 1,
			remote: remoteDestinationOnly, objects: connection("sourceID: doesnotexist0000\ndestinationID: ${DESTINATION_ID}")},
		{name: "connection: adoptID naming nothing", reason: v1.ReasonNotFound, remote: remoteEnds,
			objects: betweenRemotes("adoptID: doesnotexist0000")},
		{name: "connection: no credentials Secret", reason: v1.ReasonCredentialsNotFound, noCredentials: true,
			objects: routed("")},

		// Not refused: the default name of a Connection is shortened to fit.
		{name: "connection: default name of a long object fits", reason: v1.ReasonAvailable, remoteCalls: 1,
			remote:  remoteEnds,
			objects: strings.Replace(betweenRemotes(""), "name: hostile", "name: "+strings.Repeat("c", 200), 1)},
	}
}
