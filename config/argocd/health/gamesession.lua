-- Argo CD health of a GameSession (resource.customizations.health.gridgame.io_GameSession): waiting for a
-- server is Progressing, a session with a server (or a game played to its end) Healthy, a failed one Degraded.
if obj.status == nil or obj.status.phase == nil or obj.status.phase == "Pending" then
  return { status = "Progressing", message = "Waiting for a server" }
end
local phase = obj.status.phase
if phase == "Failed" then
  local reason = obj.status.reason or "Failed"
  if obj.status.message ~= nil then
    reason = reason .. ": " .. obj.status.message
  end
  return { status = "Degraded", message = reason }
end
if phase == "Allocated" or phase == "Running" then
  return { status = "Healthy", message = phase .. " on " .. (obj.status.serverName or "a server") }
end
if phase == "Finished" then
  return { status = "Healthy", message = "Finished" }
end
return { status = "Unknown", message = "Unknown phase " .. phase }
