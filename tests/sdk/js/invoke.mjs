// InvokeEndpoint and InvokeEndpointWithResponseStream through the AWS SDK for JavaScript v3
// (tests/sdk/test_sdk_runtime.py). Usage: ENDPOINT=<url> IMAGE=<image> node invoke.mjs; the runtime client finds
// the emulator through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME. Prints the results as JSON on stdout.
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  SageMakerClient,
  waitUntilEndpointInService,
} from "@aws-sdk/client-sagemaker";
import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  SageMakerRuntimeClient,
} from "@aws-sdk/client-sagemaker-runtime";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
const client = new SageMakerClient({
  region: "us-east-1",
  credentials,
  maxAttempts: 1,
  endpoint: process.env.ENDPOINT,
});
const runtime = new SageMakerRuntimeClient({ region: "us-east-1", credentials, maxAttempts: 1 });

await client.send(new CreateModelCommand({ ModelName: "js-model", PrimaryContainer: { Image: process.env.IMAGE } }));
await client.send(
  new CreateEndpointConfigCommand({
    EndpointConfigName: "js-config",
    ProductionVariants: [{ VariantName: "AllTraffic", ModelName: "js-model", InitialInstanceCount: 1 }],
  }),
);
await client.send(new CreateEndpointCommand({ EndpointName: "js-endpoint", EndpointConfigName: "js-config" }));
await waitUntilEndpointInService({ client, maxWaitTime: 120 }, { EndpointName: "js-endpoint" });

const out = {};
const answer = await runtime.send(
  new InvokeEndpointCommand({
    EndpointName: "js-endpoint",
    Body: new TextEncoder().encode(JSON.stringify({ instances: [1, 2] })),
    ContentType: "application/json",
    CustomAttributes: "js=1",
  }),
);
out.invoke = {
  body: new TextDecoder().decode(answer.Body),
  contentType: answer.ContentType,
  variant: answer.InvokedProductionVariant,
  customAttributes: answer.CustomAttributes,
};

const stream = await runtime.send(
  new InvokeEndpointWithResponseStreamCommand({
    EndpointName: "js-endpoint",
    Body: new TextEncoder().encode(JSON.stringify({ stream: 3, interval: 0.5 })),
    ContentType: "application/json",
  }),
);
out.stream = { contentType: stream.ContentType, parts: [] };
for await (const event of stream.Body) {
  const part = JSON.parse(new TextDecoder().decode(event.PayloadPart.Bytes));
  out.stream.parts.push({ received: Date.now() / 1000, part });
}

try {
  await runtime.send(new InvokeEndpointCommand({ EndpointName: "nope", Body: new Uint8Array([1]) }));
  out.missing = "no error";
} catch (error) {
  out.missing = { name: error.name, message: error.message, status: error.$metadata.httpStatusCode };
}
try {
  await runtime.send(
    new InvokeEndpointCommand({
      EndpointName: "js-endpoint",
      Body: new TextEncoder().encode('{"fail": 418, "message": "teapot"}'),
    }),
  );
  out.modelError = "no error";
} catch (error) {
  out.modelError = {
    name: error.name,
    status: error.$metadata.httpStatusCode,
    original: error.OriginalStatusCode,
    message: error.message,
  };
}
console.log(JSON.stringify(out));
