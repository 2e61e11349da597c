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

/*
Package emulator is a local implementation of the hookstream destinations REST API, as the OpenAPI
document of package internal/hookstream/contract describes it. It serves the API under /v1 and,
when enabled, an admin API under /_emulator. The operator's tests, benchmark and demo run against it, so
it follows the contract wherever the contract speaks, and the choices below where it does not.

# API

Keys are sent as X-API-Key or as "Authorization: Bearer <key>"; a missing or unknown key answers 401
"Invalid API key". Each key is its own org and project; ids are derived from the key, so a database file
reopened with the same keys shows the same rows. A destination of another project answers 404.

Errors always use the envelope {"error", "status", "request_id"}; every response carries X-Request-Id.
Validation answers 400 with one message naming the first failing field, e.g.
"Invalid body: 'slug' must match pattern ^[a-z0-9-]+$". Fields are checked in this order: field names
(unknown, read-only and immutable fields; additionalProperties is false), then each field in schema order,
then the rules across fields on the resulting row (url per type, auth_config per auth_type,
provider_config per type). Malformed or truncated JSON, wrong JSON types and non-object bodies answer
400; bodies over 1 MiB answer 413. The Content-Type of a request is not checked.

Decisions where the contract is silent:
  - POST with "status" answers 400: status is a PATCH-only field.
  - A taken slug (409) is reported before the plan limit (403 "Plan limit reached: N destinations"),
    so a client retrying a create that already succeeded can find and adopt its destination.
  - Numbers with an integral value (3e4, 30000.0) are integers, as in JSON Schema.
  - auth_config holds only the fields of its auth_type (bearer: token; basic: username, password;
    api_key: header, value), all required and non-empty. With auth_type none any object of strings is
    kept as it is and not used, so switching a destination to none needs no second field.
  - provider_config holds only the documented fields of its type; required ones must be non-empty
    strings. Optional defaults (vhost "/") are not written into the stored object. type http accepts
    null or an empty object. The alias "config" is accepted in POST and PATCH, not both at once.
  - url must be "" for types other than http.
  - Secrets read back as "****" plus their last 4 characters ("****" alone below 8 characters) in every
    API answer, including the answers to POST and PATCH. A PATCH that sends a masked value stores it as
    the new secret, as the real service would: it cannot tell a mask from a value.
  - PATCH checks the body syntax and emptiness ("No fields to update") before looking the id up, so a
    malformed body answers 400 even for an unknown id; the field rules need the stored row and come after.
  - GET /destinations lists newest first by insertion order. The cursor is opaque (the insertion
    sequence of the last row returned), so rows created during a walk never cause duplicates or skips.
    Empty query parameters count as absent; unknown ones are ignored; a bad limit, cursor, status or
    type answers 400.
  - Unknown paths under /v1 answer 404 "Not found"; a known path with another method answers 405
    "Method not allowed" with an Allow header. Authentication comes first, so both need a valid key.
  - DELETE answers 200 {"success": true}; a second DELETE answers 404.
  - Circuit: GET reports an open circuit whose cooldown has elapsed as "half-open" (the next event is
    the probe), with last_transition_at at the end of the cooldown. Reset closes it and zeroes
    failure_count; last_transition_at changes only when the state did.

# Rate limits

Each org has a token bucket of RateLimitBurst tokens (default max(1, int(RateLimit))) refilled at
RateLimit per second. RateLimit-Limit is the bucket size, RateLimit-Remaining the whole tokens left,
RateLimit-Reset the seconds until the bucket is full again. An empty bucket answers 429
"Rate limit exceeded" with Retry-After (seconds until one token, at least 1). With RateLimit 0 nothing is
enforced, but the headers still describe a counted window of 1000 requests per 60 seconds. Requests with
a bad key, and requests answered by an injected fault, spend nothing; their headers show the budget as it
stands.

# Deliveries

Deliveries run only through the admin API or Server.Deliver. Each event is routed to one destination:
  - Only active destinations are routed events; for paused and disabled ones every event is Skipped and
    nothing changes.
  - http destinations get a real request: the destination's method, url, headers and auth (bearer:
    Authorization: Bearer; basic: basic auth; api_key: the configured header), plus
    X-hookstream-Event-Id (the same for all attempts of an event), X-hookstream-Delivery-Attempt
    (1-based) and X-hookstream-Timestamp (Unix seconds), with a small JSON body, within timeout_ms.
    Other types have nothing local to talk to and count as delivered.
  - A failure (non-2xx, redirect included, or a network error) is retried per the policy: NULL columns
    mean the platform defaults (enabled, 5 attempts in all, exponential, [30,300,1800,7200,86400] s);
    retry_enabled 0 means one attempt. Waits are computed (exponential intervals[min(n-1,len-1)], linear
    intervals[0]*n, fixed intervals[0]) and reported, never slept, to keep tests fast.
  - The breaker (enabled unless circuit_breaker_enabled is 0) opens after circuit_breaker_threshold
    (default 5) consecutive failed attempts. An open circuit skips events until circuit_breaker_reset_ms
    (default 60 s) has passed on the clock, then lets one probe through (half-open), which closes it on
    success and reopens it on failure. As waits are not slept, a circuit that opens during an event's
    retries cuts them short: that event counts as Failed.
  - event_count grows by every event routed to an active destination, including those an open circuit
    holds back; last_delivery_at is the time of the latest attempt. updated_at does not change.

# Faults

Faults apply to /v1 requests only: first Latency (a client that gives up meanwhile gets nothing and the
request counts under status 0), then a dropped connection (DropConnections, or DropRate; counted under
0), then Outage (503 "Service unavailable"), then ErrorRate with ErrorStatus (429 also carries
Retry-After: 1). Routes restricts drops and ErrorRate; Latency and Outage hit every request. Faults come
before authentication.

# Admin API

Present only with Options.Admin; without it every /_emulator/ path answers 404. No key is needed.
Errors use the API's envelope.

	GET    /_emulator/stats                           200 {"routes":{"GET /destinations":{"200":3}},"total":3,"writes":0}
	DELETE /_emulator/stats                           200 the emptied stats
	GET    /_emulator/faults                          200 Faults
	PUT    /_emulator/faults                          200 Faults; body Faults, unknown fields and out-of-range values 400
	DELETE /_emulator/faults                          200 the cleared Faults
	GET    /_emulator/projects                        200 {"projects":[{"org_id","env_id","key_prefix"}]}
	GET    /_emulator/destinations/{id}               200 {"destination": row with secrets unmasked}, any project
	POST   /_emulator/destinations/{id}/deliveries    200 DeliveryResult; body {"count": 1..1000}, empty body = 1

Faults in JSON (latency and response delay in integer milliseconds). Latency delays a request before it is
handled; response_delay_ms holds the answer after it was handled, so a client that dies meanwhile never learns
the outcome of a change that was made:

	{"latency_ms":0,"response_delay_ms":0,"error_rate":1,"error_status":503,"routes":["GET /destinations"],
	 "outage":false,"drop_connections":false,"drop_rate":0}

A DeliveryResult in JSON:

	{"destination_id":"…","type":"http","status":"active","requested":3,"attempted":3,"succeeded":2,
	 "failed":1,"skipped":0,"attempts":7,"retries":4,"retry_schedule_seconds":[30,300,1800,7200],
	 "backoff_seconds":9330,"last_error":"HTTP 500","circuit_state":"closed","failure_count":0,
	 "event_count":3,"last_delivery_at":"2026-02-28T10:00:00Z"}

GET /healthz answers 200 {"ok":true} outside the API, for readiness probes.
*/
package emulator
