-- Reads or replaces one nested value of a JSON document stored as a plain Redis string,
-- atomically inside Redis, so concurrent updates of different fields never lose each other.
--
-- The document text is scanned, not decoded: the target value's byte span is located and
-- spliced. Everything else stays byte for byte (cjson would reorder keys, turn [] into {}
-- and round numbers to 14 digits).
--
-- KEYS[1]  the document's key
-- ARGV[1]  "get" or "set"
-- ARGV[2]  the path as a JSON array of segments: object keys (strings), array indexes (numbers)
-- ARGV[3]  for "set": the new value, valid JSON text (validated by the API)
-- Returns {1, text} found ("get": the value wrapped in [ ]), {0} no match / no parent,
-- {-1} no such document.

local key, mode, value = KEYS[1], ARGV[1], ARGV[3]
local doc = redis.call('GET', key)
if not doc then return {-1} end
local path = cjson.decode(ARGV[2])
local find, byte, sub = string.find, string.byte, string.sub
local QUOTE, BACKSLASH, LBRACE, RBRACE, LBRACKET, RBRACKET = 34, 92, 123, 125, 91, 93

local function skip_ws(i)
  return find(doc, '[^ \t\r\n]', i) or (#doc + 1)
end

local function skip_string(i)  -- doc[i] is the opening quote; returns the index after the closing one
  local j = i + 1
  while true do
    local k = find(doc, '["\\]', j)
    if not k then error('stored document is not valid JSON: unterminated string') end
    if byte(doc, k) == QUOTE then return k + 1 end
    j = k + 2
  end
end

local function skip_value(i)  -- returns the index after the value starting at i
  local c = byte(doc, i)
  if c == QUOTE then return skip_string(i) end
  if c == LBRACE or c == LBRACKET then
    local depth, j = 0, i
    while true do
      local k = find(doc, '[%[%]{}"]', j)
      if not k then error('stored document is not valid JSON: unbalanced brackets') end
      local ck = byte(doc, k)
      if ck == QUOTE then
        j = skip_string(k)
      else
        depth = depth + ((ck == LBRACE or ck == LBRACKET) and 1 or -1)
        j = k + 1
        if depth == 0 then return j end
      end
    end
  end
  return find(doc, '[,%]} \t\r\n]', i) or (#doc + 1)  -- number, true, false, null
end

-- In the object at i: the start of member `name`'s value, or nil and the closing brace's index.
-- With duplicate names the last one counts, as in RedisJSON and every common JSON parser, so
-- both storage kinds read (and a PATCH changes) the same member.
local function find_member(i, name)
  local j = skip_ws(i + 1)
  if byte(doc, j) == RBRACE then return nil, j, true end
  local found
  while true do
    local after_key = skip_string(j)
    local raw = sub(doc, j + 1, after_key - 2)
    if find(raw, '\\', 1, true) then raw = cjson.decode('"' .. raw .. '"') end
    local value_start = skip_ws(skip_ws(after_key) + 1)  -- past the colon
    if raw == name then found = value_start end
    j = skip_ws(skip_value(value_start))
    if byte(doc, j) == RBRACE then
      if found then return found end
      return nil, j, false
    end
    j = skip_ws(j + 1)  -- past the comma
  end
end

local function find_element(i, index)  -- in the array at i: the start of element `index`, or nil
  local j = skip_ws(i + 1)
  if byte(doc, j) == RBRACKET then return nil end
  for _ = 1, index do
    j = skip_ws(skip_value(j))
    if byte(doc, j) == RBRACKET then return nil end
    j = skip_ws(j + 1)
  end
  return j
end

local position = skip_ws(1)
for n, segment in ipairs(path) do
  local c = byte(doc, position)
  if type(segment) == 'number' then
    if c ~= LBRACKET then return {0} end
    position = find_element(position, segment)
    if not position then return {0} end
  else
    if c ~= LBRACE then return {0} end
    local start, close, empty = find_member(position, segment)
    if not start then
      if mode == 'set' and n == #path then  -- a new key in an existing object, as JSON.SET does
        local member = cjson.encode(segment) .. ':' .. value
        redis.call('SET', key, sub(doc, 1, close - 1) .. (empty and '' or ',') .. member
          .. sub(doc, close), 'KEEPTTL')
        return {1, ''}
      end
      return {0}
    end
    position = start
  end
end

local stop = skip_value(position)
if mode == 'get' then
  return {1, '[' .. sub(doc, position, stop - 1) .. ']'}
end
redis.call('SET', key, sub(doc, 1, position - 1) .. value .. sub(doc, stop), 'KEEPTTL')
return {1, ''}
