"""A small JSON-schema validator for the result schemas kbd's skills declare.

Model output is data, checked before anything downstream sees it. Supported keywords: type
(object, array, string, number, integer, boolean, null), properties, required,
additionalProperties: false, items, enum, minItems, maxItems, minLength, maxLength.
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "number": (int, float), "integer": (int,),
    "boolean": (bool,), "null": (type(None),),
}


def schema_errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as `path: problem` lines; empty when it conforms."""
    errors: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        kinds = expected if isinstance(expected, list) else [expected]
        ok = any(isinstance(value, _TYPES[k]) and not (k in ("number", "integer") and isinstance(value, bool))
                 for k in kinds)
        if not ok:
            return [f"{path}: expected {' or '.join(kinds)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']} characters")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += schema_errors(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing `{key}`")
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected `{key}`")
    return errors


# What a schema a user writes (a custom skill's output) may hold: the keywords both OpenAI's strict
# structured outputs and Anthropic's tool input schemas accept and kbd's validator above enforces,
# plus minLength/maxLength (sent as a description, enforced here on the reply) and the bounds the
# providers enforce themselves. Anything else would be refused by a provider, or silently dropped.
_ANY_KEYS = {"type", "description", "title", "enum"}
_USER_KEYS: dict[str, set[str]] = {
    "object": _ANY_KEYS | {"properties", "required", "additionalProperties"},
    "array": _ANY_KEYS | {"items", "minItems", "maxItems"},
    "string": _ANY_KEYS | {"minLength", "maxLength", "pattern", "format"},
    "number": _ANY_KEYS | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "integer": _ANY_KEYS | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
    "boolean": set(_ANY_KEYS),
    "null": set(_ANY_KEYS),
}
MAX_DEPTH = 10  # OpenAI strict mode: at most 10 levels of nesting
MAX_PROPERTIES = 5000  # and at most 5,000 object properties in all


def user_schema_problems(schema: object) -> list[str]:
    """Why a user-written output schema would not be accepted as it is, one `path: problem` line
    each, with what to write instead; empty when every provider's strict mode takes it."""
    if not isinstance(schema, dict):
        return ["$: the schema must be a mapping (type: object, properties: ...)"]
    if schema.get("type") != "object":
        return ["$: the top level must be `type: object` (providers return one JSON object)"]
    problems: list[str] = []
    count = [0]
    _user_node(schema, "$", 1, count, problems)
    if count[0] > MAX_PROPERTIES:
        problems.append(f"$: {count[0]} properties in all; providers accept at most {MAX_PROPERTIES}")
    return problems


def _user_node(node: object, path: str, depth: int, count: list[int], problems: list[str]) -> None:
    if not isinstance(node, dict):
        problems.append(f"{path}: must be a mapping with a `type`")
        return
    if depth > MAX_DEPTH:
        problems.append(f"{path}: nested more than {MAX_DEPTH} levels deep; providers refuse deeper schemas")
        return
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    unknown = [k for k in kinds if k not in _USER_KEYS]
    if unknown or not kinds:
        problems.append(f"{path}: `type` must be one of {', '.join(_USER_KEYS)} (or a list of them), "
                        f"got {node.get('type')!r}")
        return
    allowed = set().union(*(_USER_KEYS[k] for k in kinds))
    for key in node:
        if key not in allowed:
            hint = {"oneOf": "; list the alternatives' fields in one object instead",
                    "anyOf": "; list the alternatives' fields in one object instead",
                    "allOf": "; merge the parts into one object", "$ref": "; write the sub-schema out in place",
                    "const": "; use `enum: [value]`",
                    "uniqueItems": "; say it in the prompt instead",
                    "minProperties": "; say it in the prompt instead",
                    "maxProperties": "; say it in the prompt instead"}.get(str(key), "")
            problems.append(f"{path}: `{key}` is not accepted here (providers' strict mode refuses it or kbd cannot "
                            f"check it){hint}")
    if "enum" in node and (not isinstance(node["enum"], list) or not node["enum"]):
        problems.append(f"{path}: `enum` must be a non-empty list of values")
    if "object" in kinds:
        properties = node.get("properties", {})
        if not isinstance(properties, dict):
            problems.append(f"{path}: `properties` must map each field name to its schema")
            return
        if "additionalProperties" in node and node["additionalProperties"] is not False:
            problems.append(f"{path}: `additionalProperties` may only be false (strict mode needs closed objects)")
        required = node.get("required", [])
        if not isinstance(required, list) or any(r not in properties for r in required):
            problems.append(f"{path}: `required` must list names that are in `properties`")
        count[0] += len(properties)
        for name, sub in properties.items():
            _user_node(sub, f"{path}.{name}", depth + 1, count, problems)
    if "array" in kinds:
        if "items" not in node:
            problems.append(f"{path}: an array needs `items` (the schema of each element)")
        else:
            _user_node(node["items"], f"{path}[]", depth + 1, count, problems)
