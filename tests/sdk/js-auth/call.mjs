// One SageMaker call through the AWS SDK for JavaScript v3; prints {"ok": output} or {"error": {...}} as JSON.
// Usage: node call.mjs <endpoint> <region> <Operation> '<input JSON>'  (credentials from AWS_ACCESS_KEY_ID etc.)
import { CreateModelCommand, DescribeModelCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";

const commands = { CreateModel: CreateModelCommand, DescribeModel: DescribeModelCommand };
const [endpoint, region, operation, input] = process.argv.slice(2);
const client = new SageMakerClient({ endpoint, region, maxAttempts: 1 });
try {
  const output = await client.send(new commands[operation](JSON.parse(input)));
  delete output.$metadata;
  console.log(JSON.stringify({ ok: output }));
} catch (error) {
  console.log(
    JSON.stringify({ error: { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode } }),
  );
}
