-- Argo CD health of a GameFleet (resource.customizations.health.gridgame.io_GameFleet), from the status the
-- operator writes: a fleet rolling out is Progressing, one awaiting a manual promotion Suspended, a failed
-- rollout, an invalid spec or crash-looping servers Degraded, and all servers Ready or Allocated Healthy.
local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

if obj.status == nil then
  return { status = "Progressing", message = "Waiting for the operator to report the fleet" }
end
local generation = obj.metadata.generation
if generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < generation) then
  return { status = "Progressing", message = "Waiting for the operator to observe generation " .. generation }
end

local invalid = condition("Invalid")
if invalid ~= nil and invalid.status == "True" then
  return { status = "Degraded", message = invalid.message or "The spec is invalid" }
end

local rollout = obj.status.rollout or {}
local failed = condition("RolloutFailed")
if rollout.phase == "Failed" or (failed ~= nil and failed.status == "True") then
  local message = rollout.message
  if message == nil and failed ~= nil then
    message = failed.message
  end
  return { status = "Degraded", message = "Rollout failed: " .. (message or "see the fleet's events") }
end
if rollout.phase == "AwaitingPromotion" then
  return { status = "Suspended", message = rollout.message or ("Awaiting promotion of revision " .. (obj.status.targetRevision or "?")) }
end
if rollout.phase == "Progressing" or rollout.phase == "Draining" then
  return { status = "Progressing", message = rollout.message or ("Rollout " .. rollout.phase) }
end

local ready = condition("Ready")
if ready == nil then
  return { status = "Progressing", message = "Waiting for the fleet's servers" }
end
if ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
if ready.reason == "CrashLooping" or ready.reason == "PortsExhausted" then
  return { status = "Degraded", message = ready.message or ready.reason }
end
return { status = "Progressing", message = ready.message or "Not all servers are Ready" }
