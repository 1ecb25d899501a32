-- Sets a nested value of a RedisJSON document and says how many places it changed,
-- in one atomic step (JSON.SET alone answers only OK or nil).
--
-- KEYS[1]  the document's key; ARGV[1] the JSONPath; ARGV[2] the new value (JSON text)
-- Returns the number of places set, 0 when the parent does not exist, -1 no such document.

local key, path, value = KEYS[1], ARGV[1], ARGV[2]
if redis.call('EXISTS', key) == 0 then return -1 end
local matches = redis.call('JSON.TYPE', key, path)
local ok = redis.call('JSON.SET', key, path, value)
if not ok then return 0 end
if #matches == 0 then return 1 end  -- a new key created in an existing object
return #matches
