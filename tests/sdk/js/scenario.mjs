// The SDK compatibility scenario (tests/sdk/scenario.py) through the AWS SDK for JavaScript v3.
// Usage: node scenario.mjs <definition JSON>; endpoint from ENDPOINT (the `endpoint` option) or, when that is
// unset, from AWS_ENDPOINT_URL_SAGEMAKER as the SDK reads it. Prints the results as JSON on stdout.
import {
  AddTagsCommand,
  CreateModelCommand,
  DeleteModelCommand,
  DeleteTagsCommand,
  DescribeModelCommand,
  ListModelsCommand,
  ListTagsCommand,
  SageMakerClient,
} from "@aws-sdk/client-sagemaker";

const definition = JSON.parse(process.argv[2]);
const client = new SageMakerClient({
  region: process.env.AWS_REGION ?? "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  maxAttempts: 1,
  ...(process.env.ENDPOINT ? { endpoint: process.env.ENDPOINT } : {}),
});

async function call(Command, input) {
  const { $metadata, ...output } = await client.send(new Command(input));
  if ($metadata.httpStatusCode !== 200) throw new Error(`status ${$metadata.httpStatusCode}`);
  return output;
}

async function errorOf(Command, input) {
  try {
    await client.send(new Command(input));
  } catch (e) {
    return { code: e.name, message: e.message };
  }
  throw new Error(`${Command.name} succeeded but should have failed`);
}

const MODEL = "Sdk-Model";
const image = { Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0" };
const out = {};
out.create = await call(CreateModelCommand, { ModelName: MODEL, ...definition, Tags: [{ Key: "team", Value: "ml" }] });
await call(CreateModelCommand, { ModelName: "sdk-other-1", PrimaryContainer: { ...image, Environment: {} }, Tags: [] });
await call(CreateModelCommand, { ModelName: "sdk-other-2", PrimaryContainer: image });
await call(CreateModelCommand, { ModelName: "unrelated", PrimaryContainer: image });
const described = await call(DescribeModelCommand, { ModelName: "sdk-model" });
if (!(described.CreationTime instanceof Date)) throw new Error("CreationTime is not a Date");
out.describe = { ...described, CreationTime: described.CreationTime.getTime() / 1000 };
const query = { NameContains: "SDK", SortBy: "Name", SortOrder: "Ascending", MaxResults: 2 };
const first = await call(ListModelsCommand, query);
const second = await call(ListModelsCommand, { ...query, NextToken: first.NextToken });
out.pages = [first, second].map((page) => page.Models.map((m) => m.ModelName));
out.second_page_has_token = second.NextToken !== undefined;
const filtered = await call(ListModelsCommand, {
  NameContains: "other",
  CreationTimeBefore: new Date("2100-01-01T00:00:00Z"),
  SortOrder: "Ascending",
});
out.filtered = filtered.Models.map((m) => m.ModelName);
const arn = out.create.ModelArn;
out.other_tags = (await call(ListTagsCommand, { ResourceArn: arn.replace("sdk-model", "sdk-other-1") })).Tags;
out.add_tags = await call(AddTagsCommand, {
  ResourceArn: arn,
  Tags: [
    { Key: "stage", Value: "prod" },
    { Key: "team", Value: "mlops" },
  ],
});
out.tags_after_add = (await call(ListTagsCommand, { ResourceArn: arn })).Tags;
out.delete_tags = await call(DeleteTagsCommand, { ResourceArn: arn, TagKeys: ["team", "absent"] });
out.tags_after_delete = (await call(ListTagsCommand, { ResourceArn: arn })).Tags;
out.delete = await call(DeleteModelCommand, { ModelName: MODEL });
out.not_found = await errorOf(DescribeModelCommand, { ModelName: MODEL });
out.validation = await errorOf(CreateModelCommand, { ModelName: "bad_name!", PrimaryContainer: image });
process.stdout.write(JSON.stringify(out));
