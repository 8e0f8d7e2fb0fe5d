// twophase dummy: what a function runs until its owner pushes real code.
//
// HTTP events (API Gateway REST and HTTP APIs, function URLs, ALB) get a 501 answer naming the
// function. Every other event throws, so no queue or stream record is consumed and the source
// retries (an SQS message reaches its dead-letter queue after maxReceiveCount).
"use strict";

class FunctionHasNoCode extends Error {
  constructor(message) {
    super(message);
    this.name = "FunctionHasNoCode";
  }
}

function httpKind(event) {
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    return null;
  }
  const context =
    event.requestContext !== null && typeof event.requestContext === "object"
      ? event.requestContext
      : {};
  if ("elb" in context) {
    return "alb";
  }
  if (event.version === "2.0" && "http" in context) {
    return "apigw";
  }
  if ("httpMethod" in event && "resource" in event) {
    return "apigw";
  }
  return null;
}

async function handler(event) {
  const fn = process.env.AWS_LAMBDA_FUNCTION_NAME || "function";
  const short = process.env.TWOPHASE_FUNCTION || fn;
  const message = `${fn} has no code yet: push it with \`twophase push ${short}\``;
  const kind = httpKind(event);
  if (kind === null) {
    throw new FunctionHasNoCode(message);
  }
  const response = {
    statusCode: 501,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: message, function: fn }),
    isBase64Encoded: false,
  };
  if (kind === "alb") {
    response.statusDescription = "501 Not Implemented";
  }
  return response;
}

module.exports.handler = handler;
