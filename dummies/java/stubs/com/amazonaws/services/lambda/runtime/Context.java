// Compile-time stand-in for the interface of aws-lambda-java-core that every Java runtime of
// Lambda provides; only its name matters to the dummy, which never calls it.
package com.amazonaws.services.lambda.runtime;

public interface Context {
}
