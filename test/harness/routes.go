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
