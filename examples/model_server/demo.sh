#!/bin/sh
# The whole chain, as the compose profiles `runtime` and `model-data` run it: CreateModel -> endpoint config ->
# endpoint -> wait -> InvokeEndpoint, through the AWS CLI. The emulator is found through AWS_ENDPOINT_URL_SAGEMAKER and
# AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME. `runtime`: its model server table sends every image to the toy model server.
# `model-data`: MODEL_DATA_URL is the model's artifact in S3, and the emulator's model command runs the toy model
# server on it, so the answer comes from the weights in that model.tar.gz.
set -eu
IMAGE=123456789012.dkr.ecr.us-east-1.amazonaws.com/toy-model:1
WORK=$(mktemp -d)
aws sagemaker create-model --model-name toy --primary-container \
    "Image=$IMAGE${MODEL_DATA_URL:+,ModelDataUrl=$MODEL_DATA_URL}" >/dev/null
VARIANT=VariantName=AllTraffic,ModelName=toy,InitialInstanceCount=1,InstanceType=ml.m5.large
aws sagemaker create-endpoint-config --endpoint-config-name toy --production-variants "$VARIANT" >/dev/null
aws sagemaker create-endpoint --endpoint-name toy --endpoint-config-name toy >/dev/null
aws sagemaker wait endpoint-in-service --endpoint-name toy
printf '{"instances": [1, 2.5]}' > "$WORK/input.json"
aws sagemaker-runtime invoke-endpoint --endpoint-name toy --content-type application/json \
    --body "fileb://$WORK/input.json" "$WORK/output.json" >/dev/null
cat "$WORK/output.json"
echo
