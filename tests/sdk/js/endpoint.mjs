// The endpoint lifecycle through the AWS SDK for JavaScript v3 and its waiters (tests/sdk/test_sdk_endpoints.py).
// Usage: ENDPOINT=<url> node endpoint.mjs. Prints the results as JSON on stdout.
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  waitUntilEndpointDeleted,
  waitUntilEndpointInService,
} from "@aws-sdk/client-sagemaker";

const client = new SageMakerClient({
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  maxAttempts: 1,
  endpoint: process.env.ENDPOINT,
});
// The SDK's defaults: it describes first, then waits minDelay (30 s) between attempts.
const waiter = { client, maxWaitTime: 120 };

async function timed(wait) {
  const started = Date.now();
  const result = await wait();
  return { state: result.state, seconds: (Date.now() - started) / 1000 };
}

const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1.0";
const out = {};
await client.send(new CreateModelCommand({ ModelName: "js-model", PrimaryContainer: { Image: image } }));
await client.send(
  new CreateEndpointConfigCommand({
    EndpointConfigName: "js-config",
    ProductionVariants: [
      { VariantName: "AllTraffic", ModelName: "js-model", InitialInstanceCount: 1, InstanceType: "ml.m5.large" },
    ],
  }),
);
const created = await client.send(
  new CreateEndpointCommand({ EndpointName: "js-endpoint", EndpointConfigName: "js-config" }),
);
out.create = created.EndpointArn;
out.in_service = await timed(() => waitUntilEndpointInService(waiter, { EndpointName: "js-endpoint" }));
const described = await client.send(new DescribeEndpointCommand({ EndpointName: "js-endpoint" }));
if (!(described.LastModifiedTime instanceof Date)) throw new Error("LastModifiedTime is not a Date");
out.status = described.EndpointStatus;
out.variant = described.ProductionVariants[0];
out.variant.DeployedImages = out.variant.DeployedImages.map((d) => ({ ...d, ResolutionTime: typeof d.ResolutionTime }));
await client.send(new UpdateEndpointCommand({ EndpointName: "js-endpoint", EndpointConfigName: "js-config" }));
try {
  await client.send(new UpdateEndpointCommand({ EndpointName: "js-endpoint", EndpointConfigName: "js-config" }));
  out.second_update = "succeeded";
} catch (e) {
  out.second_update = { code: e.name, message: e.message };
}
out.updated = await timed(() => waitUntilEndpointInService(waiter, { EndpointName: "js-endpoint" }));
await client.send(new DeleteEndpointCommand({ EndpointName: "js-endpoint" }));
out.deleted = await timed(() => waitUntilEndpointDeleted(waiter, { EndpointName: "js-endpoint" }));
process.stdout.write(JSON.stringify(out));
