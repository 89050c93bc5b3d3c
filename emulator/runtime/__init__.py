"""SageMaker Runtime: InvokeEndpoint and its streaming twin on the wire (rest_json), what answers them (invoke:
model servers, canned answers, the echo), the ping health check, and their admin API and sharing across
processes."""
