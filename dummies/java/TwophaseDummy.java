// twophase dummy for the Java runtimes: what a function runs until its owner pushes real code.
//
// HTTP events (API Gateway REST and HTTP APIs, function URLs, ALB) get a 501 answer naming the
// function. Every other event throws, so no queue or stream record is consumed and the source
// retries (an SQS message reaches its dead-letter queue after maxReceiveCount).
//
// It is a RequestStreamHandler so that both handler forms work: `pkg.Class` (the runtime requires
// the interface) and `pkg.Class::method` (a public (InputStream, OutputStream, Context) method).
// twophase renames the class and the method in the compiled file to the handler's names, so the
// class must never mention its own name or its method's name except as their declarations: no
// nested classes, no lambdas, no string literal equal to either name. See BUILD.md.
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

public class TwophaseDummy implements RequestStreamHandler {

    public void handleRequest(InputStream input, OutputStream output, Context context)
            throws IOException {
        String event = readAll(input);
        String function = env("AWS_LAMBDA_FUNCTION_NAME", "function");
        String shortName = env("TWOPHASE_FUNCTION", function);
        String message = function + " has no code yet: push it with `twophase push " + shortName + "`";
        String kind = httpKind(event);
        if (kind == null) {
            throw new IllegalStateException(message);
        }
        String body = "{\"message\":" + quote(message) + ",\"function\":" + quote(function) + "}";
        String status = "alb".equals(kind) ? "\"statusDescription\":\"501 Not Implemented\"," : "";
        String response = "{\"statusCode\":501," + status
                + "\"headers\":{\"content-type\":\"application/json\"},"
                + "\"body\":" + quote(body) + ",\"isBase64Encoded\":false}";
        output.write(response.getBytes(StandardCharsets.UTF_8));
    }

    // Without a JSON library, an event counts as HTTP only when its keys say so unambiguously;
    // anything doubtful throws, which never loses a record.
    private static String httpKind(String event) {
        if (has(event, "Records", "\\[") || has(event, "detail-type", "")) {
            return null;
        }
        if (!has(event, "requestContext", "\\{")) {
            return null;
        }
        if (has(event, "elb", "\\{")) {
            return "alb";
        }
        if (has(event, "version", "\"2\\.0\"") && has(event, "http", "\\{")) {
            return "apigw";
        }
        if (has(event, "httpMethod", "") && has(event, "resource", "")) {
            return "apigw";
        }
        return null;
    }

    // A key of the event itself, not text inside a JSON string (those quotes are escaped).
    private static boolean has(String event, String key, String valueStart) {
        String regex = "(^|[^\\\\])\"" + Pattern.quote(key) + "\"\\s*:\\s*" + valueStart;
        return Pattern.compile(regex).matcher(event).find();
    }

    private static String readAll(InputStream input) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = input.read(chunk)) != -1) {
            buffer.write(chunk, 0, n);
        }
        return new String(buffer.toByteArray(), StandardCharsets.UTF_8);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
