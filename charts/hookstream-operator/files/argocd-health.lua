-- Argo CD health check for every hookstream.io kind (Destination, Source, Connection), from config/argocd/health.lua
-- of hookstream-operator. It reads only what all kinds share (the conditions, observedGeneration, status.state and
-- the paused annotation; the kind only names the resource in messages), so argocd-cm registers the same script under
-- one key per kind.
-- config/argocd/argocd-cm-patch.yaml and the Helm chart carry copies; the project's tests keep them identical.
--
-- Argo CD runs custom health checks without the string library, so the script uses only comparisons and `..`.

-- Ready=False for one of these reasons needs a person to act (a Secret, a ConfigMap, the spec, the API key or
-- hookstream must change): retrying alone will not help, so Argo CD should not keep waiting. DriftDetected is the
-- steady state of managementPolicy Observe when hookstream differs from the spec: the operator will not change it.
-- A Connection waiting for its Source or Destination (WaitingForSource, WaitingForDestination), replacing its remote
-- connection (Replacing), and a deletion waiting for the Connections that use the object (InUse) are not here: the
-- operator goes on by itself once the other object is ready or gone, so they read as Progressing.
local terminalReasons = {
  CredentialsNotFound = true,
  CredentialsInvalid = true,
  SecretNotFound = true,
  ConfigMapNotFound = true,
  ConfigMapConflict = true,
  Unauthorized = true,
  Forbidden = true,
  InvalidSpec = true,
  SlugConflict = true,
  AlreadyManaged = true,
  TypeMismatch = true,
  SlugMismatch = true,
  TemplateMismatch = true,
  RemoteNotFound = true,
  ProjectMismatch = true,
  AmbiguousRemote = true,
  ReplacementRequired = true,
  InvalidAnnotation = true,
  DriftDetected = true,
}

local function condition(conditions, condType)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == condType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function messageOf(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

-- What the remote resource is called in messages, and what its paused and disabled states mean.
local noun = "destination"
local pausedMeans = "events are held and not delivered"
local disabledMeans = "events are dropped and not delivered"
if obj.kind == "Source" then
  noun = "source"
  pausedMeans = "webhooks are accepted and stored but not routed"
  disabledMeans = "webhooks are refused with 403"
elseif obj.kind == "Connection" then
  noun = "connection"
  pausedMeans = "events that arrive meanwhile skip it and are not delivered through it after it resumes"
  disabledMeans = "events skip it and are not delivered through it"
end

local hs = {}
local status = obj.status
local conditions = nil
if status ~= nil then
  conditions = status.conditions
end
local synced = condition(conditions, "Synced")

-- Pausing is checked before the generation: a paused operator does not observe new generations, and waiting for
-- it would leave the application Progressing for as long as the pause lasts.
local annotations = obj.metadata.annotations
local pausedByAnnotation = annotations ~= nil and annotations["hookstream.io/paused"] == "true"
local pausedByOperator = synced ~= nil and synced.reason == "Paused"
if pausedByAnnotation or pausedByOperator then
  hs.status = "Suspended"
  if pausedByOperator then
    hs.message = messageOf(synced, "Reconciliation is paused")
  else
    hs.message = "Reconciliation is paused by the hookstream.io/paused annotation"
  end
  return hs
end

-- Conditions written for an older generation say nothing about the spec Argo CD just applied.
local generation = obj.metadata.generation or 0
if status == nil or status.observedGeneration == nil or status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  -- A retry of this very generation says why the wait is long (hookstream unreachable, rate limited...).
  local retrying = condition(conditions, "Reconciling")
  if isTrue(retrying) and retrying.observedGeneration == generation and retrying.message ~= nil then
    hs.message = hs.message .. ": " .. retrying.message
  end
  return hs
end

local stalled = condition(conditions, "Stalled")
if isTrue(stalled) then
  hs.status = "Degraded"
  hs.message = messageOf(stalled, "The operator cannot make progress")
  return hs
end

local ready = condition(conditions, "Ready")
if isTrue(ready) then
  if status.state == "paused" then
    hs.status = "Suspended"
    hs.message = "The " .. noun .. " is paused in hookstream: " .. pausedMeans
    return hs
  end
  if status.state == "disabled" then
    hs.status = "Suspended"
    hs.message = "The " .. noun .. " is disabled in hookstream: " .. disabledMeans
    return hs
  end
  -- A Destination whose circuit breaker is open or half-open matches the spec: hookstream holds its events because
  -- the receiver fails. It stays Healthy, so that sync waves and hooks are not blocked by a receiver's outage (the
  -- fix may be the very sync waiting behind it); the message says so, and the operator's
  -- hookstream_destination_circuit_open gauge is what to alert on.
  local delivering = condition(conditions, "Delivering")
  if delivering ~= nil and (delivering.reason == "CircuitOpen" or delivering.reason == "CircuitHalfOpen") then
    hs.status = "Healthy"
    hs.message = "The " .. noun .. " matches the spec but is not delivering: " .. messageOf(delivering, delivering.reason)
    return hs
  end
  hs.status = "Healthy"
  hs.message = messageOf(ready, "The " .. noun .. " exists in hookstream and matches the spec")
  return hs
end

local reconciling = condition(conditions, "Reconciling")
if isTrue(reconciling) then
  hs.status = "Progressing"
  hs.message = messageOf(reconciling, "The operator is reconciling the " .. noun)
  return hs
end

if ready ~= nil and ready.status == "False" then
  if terminalReasons[ready.reason] then
    hs.status = "Degraded"
  else
    hs.status = "Progressing"
  end
  hs.message = messageOf(ready, "The " .. noun .. " is not ready: " .. (ready.reason or "no reason given"))
  return hs
end

hs.status = "Progressing"
hs.message = "Waiting for the operator to report the Ready condition"
return hs
