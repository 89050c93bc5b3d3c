-- wrk script for every bench scenario. Arguments (after `--`): scenario, tag, then scenario data:
--   create   <tag> <body template with __NAME__>
--   describe <tag> <name prefix> <count>
--   list     <tag> <request body>
--   mixed    <tag> <create template> <describe prefix> <count> <list body>
--   describe_endpoint <tag> <name prefix> <count>
--   describe_package <tag> <group> <count>  (DescribeModelPackage of <group>/1 .. <group>/<count>)
--   deploy   <tag> <config template> <endpoint template>  (CreateEndpointConfig and CreateEndpoint in turn)
--   register_deploy <tag> <package> <update> <model> <config> <endpoint> <describe>  (one flow after another:
--            CreateModelPackage, UpdateModelPackage Approved, CreateModel from the package's ARN, CreateEndpointConfig,
--            CreateEndpoint, DescribeEndpoint until InService; templates carry __NAME__ and __ARN__)
--   image_deploy <tag> - - <model> <config> <endpoint> <describe>  (the same flow from CreateModel with an image)
--            Flows need one connection per wrk thread (-t = -c): a thread's Lua state follows one connection.
--   invoke   <tag> <path> <content type> <body> <signed: 1 or 0>  (the same POST every time: a model server's
--            /invocations directly, or SageMaker Runtime's /endpoints/<name>/invocations with the SigV4-shaped header)
-- Names are unique per run: tag + thread id + a per-thread counter. done() prints one JSON line for the harness.

local next_thread_id = 0
local threads = {}

function setup(thread)
  next_thread_id = next_thread_id + 1
  thread:set("tid", next_thread_id)
  threads[#threads + 1] = thread
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

-- Flows (register_deploy, image_deploy): the step to send next, the flow's name and package ARN. request() only reads
-- them (wrk calls it once more to verify the script); response() moves the flow on. Globals, read by done().
flows, flows_broken = 0, 0
local flow_templates, flow_first, flow_step, flow_name, flow_arn = nil, 1, 1, nil, nil
local FLOW_OPERATIONS = {
  "CreateModelPackage", "UpdateModelPackage", "CreateModel", "CreateEndpointConfig", "CreateEndpoint", "DescribeEndpoint",
}

local function flow_start()
  counter = counter + 1
  flow_name = string.format("bench-%s-%d-%d", tag, tid, counter)
  flow_step, flow_arn = flow_first, nil
end

local function flow_request()
  local body = flow_templates[flow_step]:gsub("__NAME__", flow_name)
  if flow_arn then
    body = body:gsub("__ARN__", flow_arn)
  end
  return aws(FLOW_OPERATIONS[flow_step], body)
end

local function flow_broken()
  flows_broken = flows_broken + 1
  flow_start()
end

local function flow_response(status, headers, body)
  if status ~= 200 then
    return flow_broken()
  end
  if flow_step == 1 then
    flow_arn = body:match('"ModelPackageArn"%s*:%s*"([^"]+)"')
    if not flow_arn then
      return flow_broken()
    end
  elseif flow_step == 6 then
    local endpoint_status = body:match('"EndpointStatus"%s*:%s*"([^"]+)"')
    if endpoint_status == "InService" then
      flows = flows + 1
      flow_start()
    elseif endpoint_status ~= "Creating" then
      flow_broken()
    end
    return
  end
  flow_step = flow_step + 1
end

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
  elseif scenario == "register_deploy" or scenario == "image_deploy" then
    flow_templates = { args[3], args[4], args[5], args[6], args[7], args[8] }
    flow_first = scenario == "register_deploy" and 1 or 3
    flow_start()
    response = flow_response  -- defined only here: wrk keeps answers' bodies only for a script with response()
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
  elseif flow_templates then
    return flow_request()
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
  local completed, broken = 0, 0
  for _, thread in ipairs(threads) do
    completed = completed + thread:get("flows")
    broken = broken + thread:get("flows_broken")
  end
  io.write(string.format(
    '\nBENCH-RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},"flows":%d,"flows_broken":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    completed, broken))
end
