-- wrk script for every bench scenario. Arguments (after `--`): scenario, tag, then scenario data:
--   create   <tag> <body template with __NAME__>
--   describe <tag> <name prefix> <count>
--   list     <tag> <request body>
--   mixed    <tag> <create template> <describe prefix> <count> <list body>
--   describe_endpoint <tag> <name prefix> <count>
--   describe_package <tag> <group> <count>  (DescribeModelPackage of <group>/1 .. <group>/<count>)
--   deploy   <tag> <config template> <endpoint template>  (CreateEndpointConfig and CreateEndpoint in turn)
--   invoke   <tag> <path> <content type> <body> <signed: 1 or 0>  (the same POST every time: a model server's
--            /invocations directly, or SageMaker Runtime's /endpoints/<name>/invocations with the SigV4-shaped header)
-- Names are unique per run: tag + thread id + a per-thread counter. done() prints one JSON line for the harness.

local next_thread_id = 0

function setup(thread)
  next_thread_id = next_thread_id + 1
  thread:set("tid", next_thread_id)
end

local AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sagemaker/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000"

local function aws(op, body)
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.1",
    ["X-Amz-Target"] = "SageMaker." .. op,
    ["Authorization"] = AUTHORIZATION,
    ["X-Amz-Date"] = "20250101T000000Z",
  }, body)
end

local function invocation(path, content_type, body, signed)
  local headers = { ["Content-Type"] = content_type }
  if signed == "1" then
    headers["Authorization"] = AUTHORIZATION
    headers["X-Amz-Date"] = "20250101T000000Z"
  end
  return wrk.format("POST", path, headers, body)
end

local scenario, tag, counter = nil, nil, 0
local create_template, describe_prefix, describe_count, list_request
local config_template, endpoint_template, deploy_step = nil, nil, 0
local invoke_request = nil  -- built once: every invocation is the same request

local function create_request()
  counter = counter + 1
  local name = string.format("bench-%s-%d-%d", tag, tid, counter)
  return aws("CreateModel", (create_template:gsub("__NAME__", name, 1)))
end

local function describe_request()
  counter = counter + 1
  return aws("DescribeModel", string.format('{"ModelName":"%s%d"}', describe_prefix, counter % describe_count))
end

local function describe_endpoint_request()
  counter = counter + 1
  return aws("DescribeEndpoint", string.format('{"EndpointName":"%s%d"}', describe_prefix, counter % describe_count))
end

local function describe_package_request()
  counter = counter + 1
  return aws("DescribeModelPackage", string.format('{"ModelPackageName":"%s/%d"}', describe_prefix, counter % describe_count + 1))
end

-- Odd steps create a config, even ones an endpoint (of a config made before the run): one deployment, two requests.
local function deploy_request()
  deploy_step = deploy_step + 1
  counter = counter + 1
  local name = string.format("bench-%s-%d-%d", tag, tid, counter)
  if deploy_step % 2 == 1 then
    return aws("CreateEndpointConfig", (config_template:gsub("__NAME__", name)))
  end
  return aws("CreateEndpoint", (endpoint_template:gsub("__NAME__", name, 1)))
end

function init(args)
  scenario, tag = args[1], args[2]
  if scenario == "create" then
    create_template = args[3]
  elseif scenario == "describe" then
    describe_prefix, describe_count = args[3], tonumber(args[4])
  elseif scenario == "list" then
    list_request = aws("ListModels", args[3])
  elseif scenario == "describe_endpoint" then
    describe_prefix, describe_count = args[3], tonumber(args[4])
  elseif scenario == "describe_package" then
    describe_prefix, describe_count = args[3], tonumber(args[4])
  elseif scenario == "deploy" then
    config_template, endpoint_template = args[3], args[4]
  elseif scenario == "invoke" then
    invoke_request = invocation(args[3], args[4], args[5], args[6])
  elseif scenario == "mixed" then
    create_template, describe_prefix, describe_count = args[3], args[4], tonumber(args[5])
    list_request = aws("ListModels", args[6])
  else
    error("unknown scenario " .. tostring(scenario))
  end
end

-- The mixed workload in a cycle of 20: 12 DescribeModel (60%), 5 CreateModel (25%), 3 ListModels (15%).
local mixed_slot = 0

function request()
  if scenario == "create" then
    return create_request()
  elseif scenario == "describe" then
    return describe_request()
  elseif scenario == "list" then
    return list_request
  elseif scenario == "invoke" then
    return invoke_request
  elseif scenario == "describe_endpoint" then
    return describe_endpoint_request()
  elseif scenario == "describe_package" then
    return describe_package_request()
  elseif scenario == "deploy" then
    return deploy_request()
  end
  mixed_slot = (mixed_slot + 1) % 20
  if mixed_slot < 12 then
    return describe_request()
  elseif mixed_slot < 17 then
    return create_request()
  end
  return list_request
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH-RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
