// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

/*
Package emulator is a local implementation of the hookstream REST API, as the OpenAPI document of package
internal/hookstream/contract describes it: destinations, sources, connections and the public ingest path,
which routes the events it accepts through the connections to the destinations. It serves the API under /v1
and, when enabled, an admin API under /_emulator. The
operator's tests, benchmark and demo run against it, so it follows the contract wherever the contract
speaks, and the choices below where it does not.

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

# Sources

Sources follow the destinations' rules above (validation order, errors, PATCH, lists, DELETE, masking of
verification_secret, project scoping) with these decisions of their own:
  - A create may name org_id and env_id; a value other than the key's own answers 403 "Forbidden", once the
    body is otherwise valid. PATCH refuses slug, template, type, source_config, org_id and env_id (400).
  - A taken slug answers 409 "Source slug already exists", before the plan limit (Options.MaxSources, 403
    "Plan limit reached: N sources"). Destinations and sources count apart and may share a slug.
  - A template pre-fills verification_type, verification_header and verification_config on create, unless the
    body sends them (an explicit null included); the table is in source_validation.go and in the contract.
    On create, verification_enabled and dedup_enabled default to 1 when the row has a verification_type or a
    dedup_strategy, so a template that sets a type needs verification_secret too; a PATCH changes only what
    it sends, these flags included.
  - Rules on the resulting row: verification_enabled 1 needs verification_type and verification_secret; a
    standard_webhooks secret must be base64 (whsec_ prefix allowed); dedup_enabled 1 needs dedup_strategy;
    header_field needs a header name and body_field a dot path in dedup_field (kept as sent, "$." included);
    schema_validation_enabled 1 needs json_schema. verification_config may come as an object or a JSON
    string and is stored as an object; its key "encoding" must be "hex" or "base64".
  - json_schema is compiled when written (santhosh-tekuri/jsonschema): draft 7 without $schema, drafts 4, 6
    and 7 with it, anything else 400; references outside the document are refused, never fetched.
  - ip_allowlist and ip_denylist are stored as sent (IPv4 addresses and CIDRs, at most 100 each); an empty
    allowlist allows everyone. Objects (source_config, verification_config, json_schema) are stored with sorted
    keys and exact numbers.
  - is_ephemeral is 0, expires_at and request_limit null. Deleting a source deletes the events it received.
    A source that connections reference answers 409 "Cannot delete a source that has connections"; a
    destination likewise, "Cannot delete a destination that has connections". The check and the delete are
    one store transaction, and a connection create checks its links under the same lock, so no connection is
    ever left dangling. A missing row answers 404 before the check.

# Connections

Connections follow the same rules (validation order, errors, PATCH, lists, DELETE, project scoping), with
these decisions of their own:
  - POST needs source_id, destination_id and name; the checks run body (400), org_id/env_id (403), then the
    links: a source or destination missing from the key's project answers 404 "Source or destination not
    found" (paused and disabled ones are fine). There is no 409 and no plan limit; name (1..128) is not
    unique. PATCH refuses source_id, destination_id, org_id and env_id (400).
  - enabled defaults to 1 and status to active (PATCH only). On create, transform_enabled defaults to 1 when
    transform_expression is non-empty; a PATCH changes only what it sends, as for sources.
    transform_expression (at most 16384 characters) is not compiled when written.
  - filter_rules: at most 50 rules, each exactly {field, op, value}, checked in that order: field 1..256
    characters (any text: an unknown field is simply missing at routing), op one of eq, neq, contains, gt,
    gte, lt, lte, exists, in, and value of the type its op takes (eq/neq a string, number, boolean or null;
    contains a string; gt/gte/lt/lte a number; exists a boolean; in an array). Stored as sent, keys in that
    order and numbers exact; [] stays [] and matches everything, as null does.
  - source_name and destination_name are read from the linked rows at every read; event_count and
    last_event_at count routed events. Lists filter by source_id, destination_id and status.
  - DELETE leaves the deliveries the connection queued to run.

# Routing

An event that ingest stores, that is no duplicate, and that arrived at an active source is routed before the
ingest call answers (a paused source's events are never routed, not on resume either):
  - Connections of the source with enabled 0, or status paused or disabled, and those whose destination is
    disabled, route nothing. Every other one whose rules all hold routes the event: fan-out to each of them.
  - Fields: payload.<dot.path> reads the body parsed as JSON (a key of digits also indexes an array,
    items.0.sku; payload alone is the whole body; no payload field exists when the body is not JSON);
    headers.<name> a header, the name case-insensitive, several values joined with ", "; method;
    content_type (the header as sent); source_ip (the address the IP lists saw). Anything else is missing.
  - Operators: eq is strict JSON equality ("5" is not 5, 5 is 5.0, numbers compared exactly, arrays and
    objects item by item) and neq its negation; contains is a substring of a string; gt, gte, lt and lte
    compare numbers only, without coercion; exists true/false is presence (a JSON null is present); in is eq
    against any item. A missing field fails every operator but neq and exists false.
  - A routed event counts in the connection's event_count and last_event_at (the event's time) and gets one
    delivery. With transform_enabled 1 and a non-empty expression, the JSONata expression
    (github.com/blues/jsonata-go) gets the body parsed as JSON and must return an object, which is delivered
    as application/json (compact, sorted keys). Otherwise (it does not compile, fails, returns something
    else, runs over 2 s, or the body is not JSON) the delivery fails at once with one attempt whose error is
    "Transform failed: <reason>", never retried, and the destination sees nothing. Functions the expression
    defines may nest at most 1000 calls deep (jsonata-go has no limit, and endless recursion would crash the
    process); an expression whose text jparse cannot write back identically runs without that guard.
    Without a transform the destination gets the body as received, with its Content-Type.
  - Deliveries are queued in the store, one queue per destination, and delivered in order by a goroutine per
    destination after the answer, so a slow receiver holds up only its own queue. Each delivery is one
    event: its attempts carry the stored event's id in X-hookstream-Event-Id and follow the destination's
    retry policy and breaker as Deliver does (retries back to back, waits not slept). A paused destination
    holds its queue until a PATCH makes it active; an open circuit holds it until the cooldown lets the next
    delivery through as the probe; a circuit that opens during an event's retries holds that event, which
    goes on with its next attempt. The destination's event_count counts each delivery once, at its first
    attempt. Deleting a destination deletes its deliveries.
  - A queue held by an open circuit is looked at again when its cooldown ends on the real clock, when a new
    event is queued, on a PATCH of the destination or a circuit reset, and by Server.WaitForDeliveries (or
    POST /_emulator/deliveries/wait), which is how tests on a fake clock move it. Queued deliveries survive a
    restart on the same database file; Close cuts an attempt in flight short without recording it.

# Ingest

ANY /v1/ingest/{source_id} (GET, POST, PUT, PATCH, DELETE) needs no key; other methods answer 405 and paths
under /v1/ingest that are not a source id 404, without a key too. Checks, in order:
  - unknown id (the slug does not work): 404 "Source not found";
  - rate limit: the source's org pays from a bucket of its own (same rate and burst as the API, apart from
    its API calls): 429;
  - disabled: 403 "Source is disabled";
  - IP denylist, then allowlist: 403 "IP address not allowed". The client is the connection's remote address
    or, with Options.TrustedClientIPHeader, that header's first entry when it is an address; IPv4-mapped IPv6
    counts as IPv4; other IPv6 clients match no entry;
  - body over 1 MiB: 413;
  - signature: 401 "Missing signature", "Invalid signature" or "Signature timestamp outside the tolerance".
    HMAC: hex (or base64 per verification_config) of the raw body, in verification_header (default
    X-Webhook-Signature), after an optional "<letters/digits>=" prefix; Stripe's "t=…,v1=…" is verified as
    Stripe signs it ("t.body", 5 minutes). Standard Webhooks: webhook-id/-timestamp/-signature (or svix-*),
    "v1,<base64>" entries over "id.timestamp.body", 5 minutes either way on Options.Now. Comparisons are
    constant-time;
  - schema (when enabled): a failure with schema_action reject answers 422 with validation_errors; with warn
    or null the event is stored with schema_warnings. A body that is not JSON fails as a whole.

Everything else is stored and answered 200 {"event_id","source_id"}: a paused source's events (marked
paused, to be routed by nothing), and duplicates: an event whose dedup key matches an original received less
than dedup_window_seconds earlier is stored with duplicate_of, answered like any other, and not counted. Keys:
payload_hash the body's SHA-256; header_field the header's values; body_field the JSON text of the value at
the path (1 and 1.0 differ); an event lacking the field, or holding null there, is never a duplicate.
event_count and last_event_at count stored events that are not duplicates; updated_at does not move. Bodies
and headers are stored whole for the admin API and never logged.

# Rate limits

Each org has a token bucket of RateLimitBurst tokens (default max(1, int(RateLimit))) refilled at
RateLimit per second. RateLimit-Limit is the bucket size, RateLimit-Remaining the whole tokens left,
RateLimit-Reset the seconds until the bucket is full again. An empty bucket answers 429
"Rate limit exceeded" with Retry-After (seconds until one token, at least 1). With RateLimit 0 nothing is
enforced, but the headers still describe a counted window of 1000 requests per 60 seconds. Requests with
a bad key, and requests answered by an injected fault, spend nothing; their headers show the budget as it
stands.

# Deliveries

Besides routed events (above), the admin API and Server.Deliver send made-up events straight to one
destination, outside any queue:
  - Only active destinations are routed events; for paused and disabled ones every event is Skipped and
    nothing changes.
  - http destinations get a real request: the destination's method, url, headers and auth (bearer:
    Authorization: Bearer; basic: basic auth; api_key: the configured header), plus
    X-hookstream-Event-Id (the same for all attempts of an event; 32 hex digits, the form of stored event
    ids), X-hookstream-Delivery-Attempt (1-based) and X-hookstream-Timestamp (Unix seconds), with a small
    JSON body, within timeout_ms.
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

Faults apply to /v1 requests only, the ingest path ("ANY /ingest/{source_id}") included: first Latency (a client that gives up meanwhile gets nothing and the
request counts under status 0), then a dropped connection (DropConnections, or DropRate; counted under
0), then Outage (503 "Service unavailable"), then ErrorRate with ErrorStatus (429 also carries
Retry-After: 1). Routes restricts drops and ErrorRate; Latency and Outage hit every request. Faults come
before authentication. Then, on the routes of Routes: HandlingDelay holds a request before it is handled, for
handling_delay_ms or until the faults are set or cleared again, and then handles it even when its client gave up
or died meanwhile (the body is read first), as a server that is slow to get to a request still carries it out;
the stats' "held" counts the requests held now, by route. ResponseDelay holds the answer after handling.

# Admin API

Present only with Options.Admin; without it every /_emulator/ path answers 404. No key is needed.
Errors use the API's envelope.

	GET    /_emulator/stats                           200 {"routes":{"GET /destinations":{"200":3}},"held":{"POST /sources":1},"total":3,"writes":0}
	DELETE /_emulator/stats                           200 the emptied stats
	GET    /_emulator/faults                          200 Faults
	PUT    /_emulator/faults                          200 Faults; body Faults, unknown fields and out-of-range values 400
	DELETE /_emulator/faults                          200 the cleared Faults
	GET    /_emulator/projects                        200 {"projects":[{"org_id","env_id","key_prefix"}]}
	GET    /_emulator/destinations/{id}               200 {"destination": row with secrets unmasked}, any project
	POST   /_emulator/destinations/{id}/deliveries    200 DeliveryResult; body {"count": 1..1000}, empty body = 1
	GET    /_emulator/sources/{id}                    200 {"source": row with verification_secret unmasked}, any project
	GET    /_emulator/sources/{id}/events             200 {"events":[Event…]}, oldest first; 404 "Source not found"
	GET    /_emulator/connections/{id}/deliveries     200 {"deliveries":[Delivery…]}, oldest first; 404 "Connection not found"
	POST   /_emulator/deliveries/wait                 200 {"queued": n} once no queue is being delivered; see Routing

Faults in JSON (latency and delays in integer milliseconds). Latency delays a request before it is handled, and
drops it when the client gives up; handling_delay_ms holds it before it is handled and handles it anyway;
response_delay_ms holds the answer after it was handled, so a client that dies meanwhile never learns the outcome
of a change that was made:

	{"latency_ms":0,"handling_delay_ms":0,"response_delay_ms":0,"error_rate":1,"error_status":503,"routes":["GET /destinations"],
	 "outage":false,"drop_connections":false,"drop_rate":0}

A DeliveryResult in JSON:

	{"destination_id":"…","type":"http","status":"active","requested":3,"attempted":3,"succeeded":2,
	 "failed":1,"skipped":0,"attempts":7,"retries":4,"retry_schedule_seconds":[30,300,1800,7200],
	 "backoff_seconds":9330,"last_error":"HTTP 500","circuit_state":"closed","failure_count":0,
	 "event_count":3,"last_delivery_at":"2026-02-28T10:00:00Z"}

An Event in JSON (body as text when it is UTF-8, else base64; headers whole, secrets included):

	{"id":"…","source_id":"…","received_at":"2026-02-28T10:00:00Z","method":"POST","query":"a=1",
	 "headers":{"Content-Type":["application/json"]},"body":"{\"n\":1}","body_encoding":"text",
	 "content_type":"application/json","source_ip":"192.0.2.10","duplicate":false,"duplicate_of":null,
	 "schema_warnings":null,"paused":false}

A Delivery in JSON (body encoded as an Event's; null, with one failed attempt, when the transform failed;
status queued, succeeded or failed; response_status null when no receiver answered):

	{"id":"…","event_id":"…","connection_id":"…","destination_id":"…","status":"succeeded",
	 "body":"{\"n\":1}","body_encoding":"text","content_type":"application/json",
	 "created_at":"2026-02-28T10:00:00Z","completed_at":"2026-02-28T10:00:00Z",
	 "attempts":[{"attempt":1,"attempted_at":"2026-02-28T10:00:00Z","succeeded":true,"response_status":200,"error":null}]}

GET /healthz answers 200 {"ok":true} outside the API, for readiness probes.

# Variants

Options.Variants (the binary's --variant) switches the emulator to alternative readings of the contract that the
real service may serve instead (internal/hookstream/contract/variants.md defines them; ParseVariants reads a list
with "all"). Without any, the emulator serves the contract as described above. Their answers break the OpenAPI
document on purpose, so their tests read the raw answers.
*/
package emulator
