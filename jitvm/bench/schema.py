"""A small JSON Schema validator: the subset results.schema.json uses, so that checking a results
file needs no extra dependency.

Supported keywords: type (one or a list), properties, required, additionalProperties (a boolean or
a schema), items, enum, const, minimum, minItems, anyOf, and $ref to "#/$defs/NAME". Annotations
($schema, $id, title, description, examples) are ignored; any other keyword is an error in the
schema itself, so the schema cannot silently use something this validator does not check.
"""

from __future__ import annotations

ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default"}
CHECKED = {"type", "properties", "required", "additionalProperties", "items", "enum", "const",
           "minimum", "minItems", "anyOf", "$ref"}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class SchemaError(ValueError):
    """The document does not follow the schema; `path` says where (e.g. results[3].median)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path or '(document)'}: {problem}")
        self.path = path
        self.problem = problem


def validate(document, schema: dict) -> None:
    _check(document, schema, schema, "")


def _check(value, schema: dict, root: dict, path: str) -> None:
    unknown = set(schema) - CHECKED - ANNOTATIONS
    if unknown:
        raise ValueError(f"schema keyword {sorted(unknown)[0]!r} is not supported by jitvm.bench.schema")
    if "$ref" in schema:
        reference = schema["$ref"]
        if not reference.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {reference!r}")
        _check(value, root["$defs"][reference.removeprefix("#/$defs/")], root, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[name](value) for name in types):
            raise SchemaError(path, f"expected {' or '.join(types)}, got {_type_name(value)}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(path, f"{value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        raise SchemaError(path, f"expected {schema['const']!r}, got {value!r}")
    if "minimum" in schema and TYPES["number"](value) and value < schema["minimum"]:
        raise SchemaError(path, f"{value} is below the minimum {schema['minimum']}")
    if "anyOf" in schema:
        problems = []
        for option in schema["anyOf"]:
            try:
                _check(value, option, root, path)
                break
            except SchemaError as exc:
                problems.append(exc.problem)
        else:
            raise SchemaError(path, "matches none of: " + "; ".join(problems))
    if isinstance(value, dict):
        _check_object(value, schema, root, path)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise SchemaError(path, f"expected at least {schema['minItems']} items, got {len(value)}")
        if "items" in schema:
            for index, item in enumerate(value):
                _check(item, schema["items"], root, f"{path}[{index}]")


def _check_object(value: dict, schema: dict, root: dict, path: str) -> None:
    for name in schema.get("required", ()):
        if name not in value:
            raise SchemaError(_join(path, name), "missing")
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            _check(item, properties[name], root, _join(path, name))
        elif extra is False:
            raise SchemaError(_join(path, name), "unknown field")
        elif isinstance(extra, dict):
            _check(item, extra, root, _join(path, name))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_name(value) -> str:
    return next((name for name, test in TYPES.items() if test(value)), type(value).__name__)
