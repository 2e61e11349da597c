// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"net/http"
	"strings"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// RouteSet names the emulator's routes of one kind, as its Stats counts them.
type RouteSet struct{ List, Create, Get, Update, Delete string }

// Writes are the routes that change the kind's remote resources.
func (rs RouteSet) Writes() []string { return []string{rs.Create, rs.Update, rs.Delete} }

// Collection is the path of the kind's API collection, without /v1: "/sources".
func (rs RouteSet) Collection() string { return strings.TrimPrefix(rs.List, http.MethodGet+" ") }

// The route sets of the three kinds.
var (
	DestinationRoutes = RouteSet{emulator.RouteListDestinations, emulator.RouteCreateDestination,
		emulator.RouteGetDestination, emulator.RouteUpdateDestination, emulator.RouteDeleteDestination}
	SourceRoutes = RouteSet{emulator.RouteListSources, emulator.RouteCreateSource, emulator.RouteGetSource,
		emulator.RouteUpdateSource, emulator.RouteDeleteSource}
	ConnectionRoutes = RouteSet{emulator.RouteListConnections, emulator.RouteCreateConnection,
		emulator.RouteGetConnection, emulator.RouteUpdateConnection, emulator.RouteDeleteConnection}
)
