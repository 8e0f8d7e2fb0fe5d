"""The Java dummy: handler parsing and a small class-file constant-pool rewriter.

The dummy class is compiled once (dummies/java/build.sh) and committed. To serve any handler
(`pkg.Class::method` or `pkg.Class`), twophase rewrites the two CONSTANT_Utf8 entries that name the
class and its handler method, so no JDK is needed at deploy time. The constant pool is addressed by
index, not by offset, so entries may change length freely.

Class-file format: The Java Virtual Machine Specification, chapter 4.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from twophase.errors import BuildError, ConfigError

DUMMY_CLASS = "TwophaseDummy"
DUMMY_METHOD = "handleRequest"
DEFAULT_METHOD = "handleRequest"
HANDLER_DESCRIPTOR = (
    "(Ljava/io/InputStream;Ljava/io/OutputStream;Lcom/amazonaws/services/lambda/runtime/Context;)V"
)
_MAGIC = b"\xca\xfe\xba\xbe"
_IDENTIFIER = r"[A-Za-z_$][A-Za-z0-9_$]*"
_HANDLER = re.compile(
    rf"(?P<cls>{_IDENTIFIER}(?:\.{_IDENTIFIER})*)(?:::(?P<method>{_IDENTIFIER}))?"
)
_JAVA_EXAMPLE = (
    "a Java handler looks like `com.example.Handler::handleRequest` or `com.example.Handler`"
)

# tag -> size of the entry's body after the tag byte (CONSTANT_Utf8, tag 1, is variable).
_FIXED_SIZES = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2}
_FIXED_SIZES |= {17: 4, 18: 4, 19: 2, 20: 2}
_TAG_UTF8, _TAG_CLASS, _TAG_STRING, _TAG_NAME_AND_TYPE, _TAG_METHOD_TYPE = 1, 7, 8, 12, 16
_WIDE_TAGS = (5, 6)  # Long and Double take two constant-pool slots


@dataclass(frozen=True)
class JavaHandler:
    binary_name: str  # "com/example/Handler"
    method: str

    @property
    def class_path(self) -> str:
        """Where the class lives inside the artifact."""
        return f"{self.binary_name}.class"


def parse_java_handler(handler: str) -> JavaHandler:
    """`pkg.Class::method` or `pkg.Class` (method handleRequest), as the Java runtimes read it."""
    match = _HANDLER.fullmatch(handler)
    if match is None:
        raise ConfigError(f"handler {handler!r} is not a Java handler: {_JAVA_EXAMPLE}")
    method = match.group("method") or DEFAULT_METHOD
    return JavaHandler(binary_name=match.group("cls").replace(".", "/"), method=method)


@dataclass(frozen=True)
class ClassFile:
    """The parts of a class file the rewriter needs; `rest` is everything after the pool."""

    head: bytes  # magic and version
    pool: tuple[tuple[int, bytes] | None, ...]  # index -> (tag, body); None for unusable slots
    rest: bytes

    @property
    def this_class(self) -> str:
        return self.utf8(self._class_name_index())

    def utf8(self, index: int) -> str:
        entry = self.pool[index]
        if entry is None or entry[0] != _TAG_UTF8:
            raise BuildError(f"class file: constant {index} is not a UTF-8 string")
        return entry[1][2:].decode("utf-8")

    def methods(self) -> list[tuple[int, int]]:
        """(name index, descriptor index) of every method, in declaration order."""
        data = self.rest
        offset = 6  # access_flags, this_class, super_class
        (interfaces,) = struct.unpack_from(">H", data, offset)
        offset += 2 + 2 * interfaces
        _, offset = _skip_members(data, offset)  # fields
        members, _ = _skip_members(data, offset)
        return members

    def method_names(self) -> list[str]:
        return [self.utf8(name) for name, _ in self.methods()]

    def _class_name_index(self) -> int:
        (this_class,) = struct.unpack_from(">H", self.rest, 2)
        entry = self.pool[this_class]
        if entry is None or entry[0] != _TAG_CLASS:
            raise BuildError("class file: this_class is not a class constant")
        (name_index,) = struct.unpack_from(">H", entry[1])
        return int(name_index)


def parse_class(data: bytes) -> ClassFile:
    if not data.startswith(_MAGIC) or len(data) < 10:
        raise BuildError("not a Java class file (bad magic number)")
    (count,) = struct.unpack_from(">H", data, 8)
    pool: list[tuple[int, bytes] | None] = [None]
    offset = 10
    try:
        while len(pool) < count:
            tag = data[offset]
            if tag == _TAG_UTF8:
                (length,) = struct.unpack_from(">H", data, offset + 1)
                size = 2 + length
            elif tag in _FIXED_SIZES:
                size = _FIXED_SIZES[tag]
            else:
                raise BuildError(f"class file: unknown constant-pool tag {tag} at byte {offset}")
            pool.append((tag, data[offset + 1 : offset + 1 + size]))
            if tag in _WIDE_TAGS:
                pool.append(None)
            offset += 1 + size
    except (IndexError, struct.error) as exc:
        raise BuildError("class file: truncated constant pool") from exc
    return ClassFile(head=data[:8], pool=tuple(pool), rest=data[offset:])


def rename_handler(data: bytes, new_class: str, new_method: str) -> bytes:
    """The dummy class renamed to `new_class` (binary name) with its handler method `new_method`."""
    cls = parse_class(data)
    class_index = cls._class_name_index()
    method_index = _handler_method_index(cls)
    _refuse_shared(cls, class_index, what="class name")
    _refuse_shared(cls, method_index, what="method name")
    old_class = cls.utf8(class_index)
    for index in range(1, len(cls.pool)):
        entry = cls.pool[index]
        if entry and entry[0] == _TAG_UTF8 and f"L{old_class};" in cls.utf8(index):
            raise BuildError(f"class file: {old_class} appears in a descriptor; cannot rename it")
    return rewrite_utf8(data, {class_index: new_class, method_index: new_method})


def rewrite_utf8(data: bytes, replacements: dict[int, str]) -> bytes:
    """The class file with the CONSTANT_Utf8 entries at the given indices replaced."""
    cls = parse_class(data)
    out = bytearray(data[:10])
    for index, entry in enumerate(cls.pool):
        if entry is None:
            continue
        tag, body = entry
        if index in replacements:
            if tag != _TAG_UTF8:
                raise BuildError(f"class file: constant {index} is not a UTF-8 string")
            body = _encode_utf8(replacements[index])
        out.append(tag)
        out += body
    out += cls.rest
    return bytes(out)


def _encode_utf8(text: str) -> bytes:
    if not text.isascii() or "\0" in text:
        # Plain ASCII is identical in the JVM's modified UTF-8; nothing else is needed here.
        raise BuildError(f"class file: {text!r} is not a plain ASCII name")
    raw = text.encode("ascii")
    return struct.pack(">H", len(raw)) + raw


def _handler_method_index(cls: ClassFile) -> int:
    for name, descriptor in cls.methods():
        if cls.utf8(name) == DUMMY_METHOD and cls.utf8(descriptor) == HANDLER_DESCRIPTOR:
            return name
    raise BuildError(f"class file: no method {DUMMY_METHOD}{HANDLER_DESCRIPTOR}")


def _refuse_shared(cls: ClassFile, index: int, what: str) -> None:
    """The Utf8 at `index` must not also serve as a string literal or a member reference."""
    for entry in cls.pool:
        if entry is None or entry[0] not in (_TAG_STRING, _TAG_NAME_AND_TYPE, _TAG_METHOD_TYPE):
            continue
        tag, body = entry
        refs = struct.unpack_from(">HH" if tag == _TAG_NAME_AND_TYPE else ">H", body)
        if index in refs:
            raise BuildError(f"class file: the {what} is also used elsewhere; cannot rename it")


def _skip_members(data: bytes, offset: int) -> tuple[list[tuple[int, int]], int]:
    (count,) = struct.unpack_from(">H", data, offset)
    offset += 2
    members = []
    for _ in range(count):
        _, name, descriptor, attributes = struct.unpack_from(">HHHH", data, offset)
        members.append((name, descriptor))
        offset += 8
        for _ in range(attributes):
            (length,) = struct.unpack_from(">I", data, offset + 2)
            offset += 6 + length
    return members, offset
