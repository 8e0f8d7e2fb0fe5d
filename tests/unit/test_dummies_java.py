"""The Java dummy: handler parsing, the class-file rewriter, a reproducible build, the JVM."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from twophase.dummies import dummy_artifact
from twophase.dummies.java import (
    DUMMY_CLASS,
    HANDLER_DESCRIPTOR,
    JavaHandler,
    parse_class,
    parse_java_handler,
    rename_handler,
    rewrite_utf8,
)
from twophase.errors import BuildError, ConfigError

REPO = Path(__file__).resolve().parents[2]
JAVA_DIR = REPO / "dummies" / "java"
EVENTS = REPO / "tests" / "events"
HTTP_EVENTS = ("apigw_v1", "apigw_v2", "alb")
OTHER_EVENTS = ("sqs_batch", "schedule", "dynamodb_stream", "kinesis", "direct")
FUNCTION = "shop-dev-worker"
MESSAGE = "shop-dev-worker has no code yet: push it with `twophase push worker`"
RECORDED_JAVAC_MAJOR = "17"
needs_jdk = pytest.mark.skipif(
    shutil.which("javac") is None or shutil.which("java") is None, reason="no JDK installed"
)


def compiled_dummy() -> bytes:
    return (JAVA_DIR / f"{DUMMY_CLASS}.class").read_bytes()


def build_copy(tmp_path: Path, source: str | None = None) -> bytes:
    """Runs the recorded build (build.sh) on a copy of dummies/java; the class it writes."""
    copy = tmp_path / "java"
    shutil.copytree(JAVA_DIR, copy)
    (copy / f"{DUMMY_CLASS}.class").unlink()
    if source is not None:
        (copy / f"{DUMMY_CLASS}.java").write_text(source)
    subprocess.run(["sh", str(copy / "build.sh")], check=True, capture_output=True, timeout=120)
    built = sorted(p.name for p in copy.iterdir() if p.suffix == ".class")
    assert built == [f"{DUMMY_CLASS}.class"]  # the stubs are never compiled into the output
    return (copy / f"{DUMMY_CLASS}.class").read_bytes()


# --- handlers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("com.shop.Worker::handleRequest", JavaHandler("com/shop/Worker", "handleRequest")),
        ("com.shop.Worker::process", JavaHandler("com/shop/Worker", "process")),
        ("com.shop.Worker", JavaHandler("com/shop/Worker", "handleRequest")),
        ("Handler", JavaHandler("Handler", "handleRequest")),
        ("a.b$C::$run_1", JavaHandler("a/b$C", "$run_1")),
    ],
)
def test_parse_java_handler(handler: str, expected: JavaHandler) -> None:
    assert parse_java_handler(handler) == expected
    assert expected.class_path == f"{expected.binary_name}.class"


@pytest.mark.parametrize("handler", ["", "a..B", "a.B::", "a.B::c::d", "1a.B", "a.B:c", "a/B"])
def test_bad_java_handler(handler: str) -> None:
    with pytest.raises(ConfigError, match=r"com\.example\.Handler::handleRequest"):
        parse_java_handler(handler)


# --- the class-file rewriter -----------------------------------------------------------------


def test_parse_the_committed_dummy() -> None:
    cls = parse_class(compiled_dummy())
    assert cls.this_class == DUMMY_CLASS
    assert cls.head[4:8] == b"\x00\x00\x00\x34"  # class-file version 52: Java 8 and later
    assert "handleRequest" in cls.method_names()
    assert ("handleRequest", HANDLER_DESCRIPTOR) in [
        (cls.utf8(n), cls.utf8(d)) for n, d in cls.methods()
    ]


def test_rename_changes_exactly_the_class_and_the_handler_method() -> None:
    original = parse_class(compiled_dummy())
    renamed = parse_class(rename_handler(compiled_dummy(), "com/shop/Worker", "process"))
    assert renamed.this_class == "com/shop/Worker"
    names = original.method_names()
    assert renamed.method_names() == [("process" if n == "handleRequest" else n) for n in names]
    assert len(renamed.pool) == len(original.pool)
    changed = [
        i for i, (a, b) in enumerate(zip(original.pool, renamed.pool, strict=True)) if a != b
    ]
    assert len(changed) == 2
    assert renamed.rest == original.rest  # members and code untouched: only names moved


def test_rename_to_the_same_names_gives_the_same_bytes() -> None:
    assert rename_handler(compiled_dummy(), DUMMY_CLASS, "handleRequest") == compiled_dummy()


def test_rewrite_utf8_refuses_a_constant_that_is_not_a_string() -> None:
    cls = parse_class(compiled_dummy())
    class_entry = next(i for i, e in enumerate(cls.pool) if e is not None and e[0] == 7)
    with pytest.raises(BuildError, match="is not a UTF-8 string"):
        rewrite_utf8(compiled_dummy(), {class_entry: "x"})


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"PK\x03\x04 not a class", "bad magic number"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x20\x01\x00\x10abc", "truncated constant pool"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x03\x63\x00\x00", "unknown constant-pool tag 99"),
    ],
)
def test_parse_refuses_what_is_not_a_class_file(data: bytes, says: str) -> None:
    with pytest.raises(BuildError, match=says):
        parse_class(data)


def test_rename_refuses_non_ascii_names() -> None:
    with pytest.raises(BuildError, match="not a plain ASCII name"):
        rename_handler(compiled_dummy(), "com/shöp/Worker", "process")


UNSAFE_SOURCES = {
    "the method name is also used elsewhere": """
        public String label() { return "handleRequest"; }""",
    "appears in a descriptor": """
        public static TwophaseDummy make() { return new TwophaseDummy(); }""",
}


@needs_jdk
@pytest.mark.parametrize("says", list(UNSAFE_SOURCES))
def test_rename_refuses_a_class_that_mentions_its_names(says: str, tmp_path: Path) -> None:
    source = (JAVA_DIR / f"{DUMMY_CLASS}.java").read_text()
    head, _, tail = source.rpartition("}")
    unsafe = build_copy(tmp_path, head + UNSAFE_SOURCES[says] + "\n}" + tail)
    with pytest.raises(BuildError, match=says.replace("the method name", "method name")):
        rename_handler(unsafe, "com/shop/Worker", "process")


# --- the committed class is its source, compiled reproducibly --------------------------------


def javac_major() -> str:
    run = subprocess.run(["javac", "-version"], capture_output=True, text=True, check=True)
    match = re.search(r"javac (\d+)", run.stdout + run.stderr)
    return match.group(1) if match else "unknown"


@needs_jdk
def test_committed_class_is_the_compiled_source(tmp_path: Path) -> None:
    if javac_major() != RECORDED_JAVAC_MAJOR:
        pytest.skip(f"the class was recorded with javac {RECORDED_JAVAC_MAJOR}")
    assert build_copy(tmp_path) == compiled_dummy()


# --- the dummy on the JVM, called the way the Lambda Java runtime calls handlers ------------

HARNESS = """
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.*;
import java.lang.reflect.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;

// args: code folder, handler, event files. `pkg.Class` goes through RequestStreamHandler,
// `pkg.Class::method` through the public (InputStream, OutputStream, Context) method, as the
// Lambda Java runtime does.
public class Harness {
    public static void main(String[] args) throws Exception {
        URL code = Paths.get(args[0]).toUri().toURL();
        ClassLoader loader = new URLClassLoader(new URL[] {code}, Harness.class.getClassLoader());
        String handler = args[1];
        int sep = handler.indexOf("::");
        Class<?> cls = Class.forName(sep < 0 ? handler : handler.substring(0, sep), true, loader);
        Object instance = cls.getConstructor().newInstance();
        for (int i = 2; i < args.length; i++) {
            InputStream in = new ByteArrayInputStream(Files.readAllBytes(Paths.get(args[i])));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                if (sep < 0) {
                    ((RequestStreamHandler) instance).handleRequest(in, out, null);
                } else {
                    Method m = cls.getMethod(handler.substring(sep + 2),
                        InputStream.class, OutputStream.class, Context.class);
                    try {
                        m.invoke(instance, in, out, null);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
                System.out.println("OK " + new String(out.toByteArray(), StandardCharsets.UTF_8));
            } catch (Throwable t) {
                System.out.println("ERR " + t.getClass().getName() + " " + t.getMessage());
            }
        }
    }
}
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("no JDK installed")
    folder = tmp_path_factory.mktemp("harness")
    (folder / "Harness.java").write_text(HARNESS)
    subprocess.run(
        ["javac", "-d", str(folder), "-sourcepath", str(JAVA_DIR / "stubs"),
         str(folder / "Harness.java")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return folder


def run_on_jvm(harness: Path, handler: str, tmp_path: Path) -> dict[str, tuple[str, Any]]:
    artifact = dummy_artifact("java21", handler)
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as zf:
        zf.extractall(tmp_path / "code")
    names = HTTP_EVENTS + OTHER_EVENTS
    run = subprocess.run(
        ["java", "-cp", str(harness), "Harness", str(tmp_path / "code"), handler,
         *(str(EVENTS / f"{name}.json") for name in names)],
        check=True, capture_output=True, text=True, timeout=120,
        env={"AWS_LAMBDA_FUNCTION_NAME": FUNCTION, "TWOPHASE_FUNCTION": "worker"},
    )  # fmt: skip
    lines = run.stdout.splitlines()
    assert len(lines) == len(names), run.stdout + run.stderr
    results: dict[str, tuple[str, Any]] = {}
    for name, line in zip(names, lines, strict=True):
        status, _, rest = line.partition(" ")
        results[name] = (status, json.loads(rest) if status == "OK" else rest)
    return results


@pytest.mark.parametrize("handler", ["com.shop.Worker::process", "com.shop.Api"])
def test_java_dummy_answers_http_and_throws_for_the_rest(
    harness: Path, handler: str, tmp_path: Path
) -> None:
    results = run_on_jvm(harness, handler, tmp_path)
    for name in HTTP_EVENTS:
        status, response = results[name]
        assert status == "OK", (name, response)
        assert response["statusCode"] == 501
        assert response["headers"] == {"content-type": "application/json"}
        assert json.loads(response["body"]) == {"message": MESSAGE, "function": FUNCTION}
        assert response.get("statusDescription") == (
            "501 Not Implemented" if name == "alb" else None
        )
    for name in OTHER_EVENTS:
        assert results[name] == ("ERR", f"java.lang.IllegalStateException {MESSAGE}"), name
