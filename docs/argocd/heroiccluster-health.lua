-- Argo CD health check for heroic.dev/HeroicCluster (resource.customizations.health.heroic.dev_HeroicCluster).
-- Healthy: Ready=True for the current generation. Suspended: spec.paused. Degraded: Ready=False
-- for a reason that needs a person (bad spec or config, missing Secret, failed configure Job,
-- refused immutable change, unreachable backend, API error). Progressing: anything else
-- (Jobs running, pods rolling out, the operator not yet at this generation).
local degraded = {
  InvalidSpec = true,
  InvalidConfig = true,
  ChildRejected = true,
  SecretNotFound = true,
  SecretKeyNotFound = true,
  PodMonitorUnavailable = true,
  ConfigureFailed = true,
  ImmutableFieldChanged = true,
  BackendUnreachable = true,
  ApiError = true,
}

local hs = { status = "Progressing", message = "Waiting for the operator" }
local status = obj.status
if status == nil or status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation or 0
if status.observedGeneration == nil or status.observedGeneration < generation then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local conditions = {}
for _, condition in ipairs(status.conditions) do
  conditions[condition.type] = condition
end

local paused = conditions["Paused"]
if paused ~= nil and paused.status == "True" then
  hs.status = "Suspended"
  hs.message = paused.message
  return hs
end

local ready = conditions["Ready"]
if ready == nil then
  return hs
end
hs.message = ready.message
if ready.status == "True" then
  hs.status = "Healthy"
elseif degraded[ready.reason] then
  hs.status = "Degraded"
end
return hs
