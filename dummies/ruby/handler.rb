# twophase dummy: what a function runs until its owner pushes real code.
#
# HTTP events (API Gateway REST and HTTP APIs, function URLs, ALB) get a 501 answer naming the
# function. Every other event raises, so no queue or stream record is consumed and the source
# retries (an SQS message reaches its dead-letter queue after maxReceiveCount).
require 'json'

class FunctionHasNoCode < StandardError; end

def twophase_http_kind(event)
  return nil unless event.is_a?(Hash)

  context = event['requestContext'].is_a?(Hash) ? event['requestContext'] : {}
  return 'alb' if context.key?('elb')
  return 'apigw' if event['version'] == '2.0' && context.key?('http')
  return 'apigw' if event.key?('httpMethod') && event.key?('resource')

  nil
end

def handler(event:, context:)
  function = ENV.fetch('AWS_LAMBDA_FUNCTION_NAME', '')
  function = 'function' if function.empty?
  short = ENV.fetch('TWOPHASE_FUNCTION', '')
  short = function if short.empty?
  message = "#{function} has no code yet: push it with `twophase push #{short}`"
  kind = twophase_http_kind(event)
  raise FunctionHasNoCode, message if kind.nil?

  response = {
    'statusCode' => 501,
    'headers' => { 'content-type' => 'application/json' },
    'body' => JSON.generate({ 'message' => message, 'function' => function }),
    'isBase64Encoded' => false
  }
  response['statusDescription'] = '501 Not Implemented' if kind == 'alb'
  response
end
