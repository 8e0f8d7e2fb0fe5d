// Compile-time stand-in for the interface of aws-lambda-java-core that every Java runtime of
// Lambda provides; the dummy is compiled against it and links to the runtime's own copy.
package com.amazonaws.services.lambda.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

public interface RequestStreamHandler {
    void handleRequest(InputStream input, OutputStream output, Context context) throws IOException;
}
