"""The request rules of the real OpenAI and Anthropic APIs that kbd relies on, written down from
their documentation, so that the loopback fake (tests/fake_llm.py) refuses every request a real
service would refuse, with the real status code and error body.

A fake more lenient than the real service hides the bugs users meet first (DESIGN.md section 7).
Each rule names the page it comes from. Where the documentation gives no exact wording, the
message is modelled on what the service is reported to answer; tests assert the status, the
error shape and the cause, never the exact sentence.

Sources relied on:
- [OA-SO] OpenAI, "Structured model outputs" guide, section "Supported schemas"
  (platform.openai.com/docs/guides/structured-outputs#supported-schemas): strict mode accepts a
  subset of JSON Schema; the root is an object and not anyOf; every object sets
  additionalProperties: false and lists every property in required; supported type-specific
  keywords are, for strings, pattern and format; for numbers multipleOf, maximum,
  exclusiveMaximum, minimum, exclusiveMinimum; for arrays minItems and maxItems. Not supported:
  allOf, not, if/then/else, dependentRequired, dependentSchemas, and (listed for fine-tuned
  models, and absent from the supported list for all models) minLength, maxLength,
  patternProperties, unevaluatedProperties, propertyNames, minProperties, maxProperties,
  unevaluatedItems, contains, minContains, maxContains, uniqueItems. Limits: at most 5,000 object
  properties in total, 10 levels of nesting. A model may decline: `message.refusal` is set and
  `content` is null.
- [OA-JSON] same guide, "JSON mode": with response_format json_object the messages must contain
  the word "JSON", else 400.
- [OA-R] OpenAI, "Reasoning models" guide and the Chat Completions reference
  (platform.openai.com/docs/api-reference/chat/create): `max_tokens` is deprecated and "not
  compatible with o-series models"; reasoning models (o1, o3, o4-mini, gpt-5 family) take
  `max_completion_tokens`, which bounds visible output plus reasoning tokens; they accept only the
  default temperature/top_p (1); `reasoning_effort` is one of minimal|low|medium|high (gpt-5.1
  adds none) and is refused by non-reasoning models. Reported answers:
  "Unsupported parameter: 'max_tokens' is not supported with this model. Use
  'max_completion_tokens' instead." (code unsupported_parameter) and "Unsupported value:
  'temperature' does not support 0.2 with this model. Only the default (1) value is supported."
  (code unsupported_value); community.openai.com thread 962030 shows the error object.
- [OA-E] OpenAI, "Error codes" (platform.openai.com/docs/guides/error-codes): 401 invalid
  authentication, 429 rate limit reached / quota exceeded, 500 server error, 503 overloaded.
  Error body: {"error": {"message", "type", "param", "code"}}. Rate-limit headers
  x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests (e.g.
  "1s", "6m0s") and the same for tokens ("Rate limits" guide). finish_reason is one of stop,
  length, content_filter, tool_calls (function_call deprecated).
- [AN-E] Anthropic, "Errors" (docs.claude.com/en/api/errors): 400 invalid_request_error, 401
  authentication_error, 403 permission_error, 404 not_found_error, 413 request_too_large (32 MB),
  429 rate_limit_error, 500 api_error, 529 overloaded_error. Body:
  {"type": "error", "error": {"type", "message"}} (newer answers add request_id).
- [AN-V] Anthropic, "Versioning" and "Messages" reference: every request carries the
  anthropic-version header (2023-06-01) and x-api-key; `model`, `max_tokens` and `messages` are
  required; roles are user and assistant (the system prompt is the top-level `system`); unknown
  top-level fields are refused ("Extra inputs are not permitted").
- [AN-T] Anthropic, "Tool use" (implement-tool-use#forcing-tool-use): tool names match
  ^[a-zA-Z0-9_-]{1,64}$, input_schema is a JSON Schema of type object; tool_choice is auto, any,
  tool (with a name that is declared) or none.
- [AN-X] Anthropic, "Extended thinking": thinking = {"type": "enabled", "budget_tokens": N} with
  N >= 1024 and N < max_tokens; "Thinking isn't compatible with ... forced tool use": tool_choice
  any/tool is refused ("Thinking may not be enabled when tool_choice forces tool use"); temperature
  may not be changed while thinking.
- [AN-C] Anthropic, "Prompt caching": cache_control {"type": "ephemeral"} (optional ttl 5m|1h) on
  at most 4 blocks; usage reports cache_creation_input_tokens and cache_read_input_tokens beside
  input_tokens (which excludes both); prefixes shorter than 1,024 tokens are not cached (no error).
- [AN-S] stop_reason is one of end_turn, max_tokens, stop_sequence, tool_use, pause_turn, refusal.
- [OA-V] OpenAI, "Images and vision" guide and the Chat Completions reference (content parts): a
  user message's content may be an array of parts, {"type": "text", "text"} and
  {"type": "image_url", "image_url": {"url", "detail"?}} where url is an http(s) URL or a base64 data
  URL (data:image/<type>;base64,…), detail is auto|low|high; PNG, JPEG, WebP and non-animated GIF;
  up to 20 MB per image (the guide's "Image input requirements"); image parts only in user
  messages. An image that is not one of those formats is refused with 400, reported as "You
  uploaded an unsupported image. Please make sure your image has of one the following formats:
  ['png', 'jpeg', 'gif', 'webp']." (code invalid_image_format); a data URL that does not decode,
  "Invalid base64 image_url." (code invalid_image_url).
- [AN-I] Anthropic, "Vision" (docs.claude.com/en/docs/build-with-claude/vision) and the Messages
  reference: an image block is {"type": "image", "source": {"type": "base64", "media_type", "data"}}
  (or source type url), media_type one of image/jpeg, image/png, image/gif, image/webp; at most 5 MB
  per image (reported: "image exceeds 5 MB maximum: N bytes > 5242880 bytes", counted on the base64
  string); images go in user turns; bytes that are not the declared type are refused ("Image does
  not match the provided media type image/png").
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

Refusal = tuple[int, dict[str, Any]]

OPENAI_FINISH_REASONS = ("stop", "length", "content_filter", "tool_calls")
ANTHROPIC_STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal")
ANTHROPIC_VERSIONS = ("2023-06-01", "2023-01-01")

# [OA-SO] keywords strict mode accepts, per schema type; anything else in a schema node is refused.
_COMMON = {"type", "description", "title", "enum", "const", "anyOf", "$ref", "$defs", "definitions", "default"}
_ALLOWED = {
    "object": _COMMON | {"properties", "required", "additionalProperties"},
    "array": _COMMON | {"items", "minItems", "maxItems"},
    "string": _COMMON | {"pattern", "format"},
    "number": _COMMON | {"multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"},
    "integer": _COMMON | {"multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"},
    "boolean": _COMMON,
    "null": _COMMON,
}
_OPENAI_CHAT_KEYS = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
                     "response_format", "reasoning_effort", "stream", "n", "stop", "seed", "user", "tools",
                     "tool_choice", "parallel_tool_calls", "presence_penalty", "frequency_penalty", "logprobs",
                     "top_logprobs", "metadata", "store", "service_tier", "prompt_cache_key", "verbosity"}
_ANTHROPIC_KEYS = {"model", "messages", "max_tokens", "system", "tools", "tool_choice", "thinking", "temperature",
                   "top_p", "top_k", "stop_sequences", "stream", "metadata", "service_tier"}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def is_reasoning_model(model: str) -> bool:
    """[OA-R] o-series (o1, o3, o4-mini, …) and the gpt-5 family."""
    name = model.rsplit("/", 1)[-1].lower()
    return bool(re.match(r"^o\d", name) or name.startswith("gpt-5"))


# -- error bodies --------------------------------------------------------------------------------
def openai_error(status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None) -> Refusal:
    """[OA-E] the error object every OpenAI endpoint answers with."""
    return status, {"error": {"message": message, "type": type_, "param": param, "code": code}}


def anthropic_error(status: int, type_: str, message: str) -> Refusal:
    """[AN-E] the error object every Anthropic endpoint answers with."""
    return status, {"type": "error", "error": {"type": type_, "message": message},
                    "request_id": "req_011CTestFakeRequest"}


# -- OpenAI chat completions ----------------------------------------------------------------------
def openai_problem(headers: dict[str, str], body: Any, accepted_key: str | None) -> Refusal | None:
    """Why the real /v1/chat/completions would refuse this request, or None if it would accept it."""
    auth = headers.get("authorization", "")
    if accepted_key is not None and auth != f"Bearer {accepted_key}":
        return openai_error(401, "Incorrect API key provided. You can find your API key at "
                            "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
    if not isinstance(body, dict):
        return openai_error(400, "We could not parse the JSON body of your request.")
    for key in body:
        if key not in _OPENAI_CHAT_KEYS:
            return openai_error(400, f"Unrecognized request argument supplied: {key}", param=key)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return openai_error(400, "you must provide a model parameter", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return openai_error(400, "Invalid 'messages': empty array. Expected an array with minimum length 1.",
                            param="messages", code="empty_array")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant", "tool"):
            return openai_error(400, f"Invalid value for 'messages[{i}].role'.", param=f"messages[{i}].role",
                                code="invalid_value")
        if not isinstance(m.get("content"), (str, list)):
            return openai_error(400, f"Invalid type for 'messages[{i}].content'.", param=f"messages[{i}].content",
                                code="invalid_type")
        for j, part in enumerate(m["content"] if isinstance(m["content"], list) else []):
            problem = _openai_part_problem(part, f"messages[{i}].content[{j}]", m["role"])
            if problem:
                return problem
    reasoning = is_reasoning_model(model)
    if reasoning and "max_tokens" in body:  # [OA-R]
        return openai_error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                            "'max_completion_tokens' instead.", param="max_tokens", code="unsupported_parameter")
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if key in body and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            return openai_error(400, f"Invalid '{key}': integer below minimum value.", param=key,
                                code="integer_below_min_value")
    for key in ("temperature", "top_p"):
        if reasoning and key in body and body[key] != 1:  # [OA-R]
            return openai_error(400, f"Unsupported value: '{key}' does not support {body[key]} with this model. "
                                "Only the default (1) value is supported.", param=key, code="unsupported_value")
    if "reasoning_effort" in body:  # [OA-R]
        if not reasoning:
            return openai_error(400, "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
                                param="reasoning_effort", code="unsupported_parameter")
        if body["reasoning_effort"] not in ("none", "minimal", "low", "medium", "high"):
            return openai_error(400, f"Invalid value: '{body['reasoning_effort']}'. Supported values are: "
                                "'minimal', 'low', 'medium', and 'high'.", param="reasoning_effort",
                                code="invalid_value")
    fmt = body.get("response_format")
    if fmt is not None:
        problem = _response_format_problem(fmt, messages)
        if problem:
            return problem
    return None


def _response_format_problem(fmt: Any, messages: list[Any]) -> Refusal | None:
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":  # [OA-JSON]
        text = " ".join(m["content"] if isinstance(m["content"], str) else str(m["content"]) for m in messages)
        if "json" not in text.lower():
            return openai_error(400, "'messages' must contain the word 'json' in some form, to use "
                                "'response_format' of type 'json_object'.", param="messages")
        return None
    if kind != "json_schema":
        return openai_error(400, "Invalid value for 'response_format.type'.", param="response_format.type",
                            code="invalid_value")
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or \
            not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", spec["name"]):
        return openai_error(400, "Missing or invalid 'response_format.json_schema.name'.",
                            param="response_format.json_schema.name")
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        return openai_error(400, "Missing required parameter: 'response_format.json_schema.schema'.",
                            param="response_format.json_schema.schema", code="missing_required_parameter")
    if spec.get("strict") is True:
        reason = strict_schema_problem(schema)
        if reason:
            return openai_error(400, f"Invalid schema for response_format '{spec['name']}': {reason}",
                                param="response_format", code="invalid_json_schema")
    return None


def strict_schema_problem(schema: dict[str, Any]) -> str | None:
    """[OA-SO] Why strict mode refuses `schema`, in the service's words, or None."""
    if schema.get("type") != "object" or "anyOf" in schema:
        return f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{schema.get('type')}\"'."
    count = [0]
    return _strict_node(schema, (), count, 1)


def _strict_node(node: Any, context: tuple[str, ...], count: list[int], depth: int) -> str | None:
    where = f"In context={context!r}, "
    if not isinstance(node, dict):
        return where + "schema must be an object."
    if depth > 10:
        return where + "exceeded the maximum nesting depth of 10."
    if "anyOf" in node:
        for i, option in enumerate(node["anyOf"]):
            problem = _strict_node(option, (*context, "anyOf", str(i)), count, depth)
            if problem:
                return problem
        return None
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if any(k not in _ALLOWED for k in kinds) and "$ref" not in node and "enum" not in node:
        return where + f"'type' must be one of {sorted(_ALLOWED)}."
    allowed = set().union(*(_ALLOWED.get(k, _COMMON) for k in kinds))
    for key in node:
        if key not in allowed:
            return where + f"'{key}' is not permitted."
    if "object" in kinds:
        properties = node.get("properties", {})
        count[0] += len(properties)
        if count[0] > 5000:
            return where + "the schema has more than 5000 object properties."
        if node.get("additionalProperties") is not False:
            return where + "'additionalProperties' is required to be supplied and to be false."
        missing = [k for k in properties if k not in node.get("required", [])]
        if missing:
            return where + f"'required' is required to be supplied and to be an array including every key in " \
                           f"properties. Missing '{missing[0]}'."
        for name, sub in properties.items():
            problem = _strict_node(sub, (*context, "properties", name), count, depth + 1)
            if problem:
                return problem
    if "array" in kinds and "items" in node:
        return _strict_node(node["items"], (*context, "items"), count, depth + 1)
    return None


# -- Anthropic messages ---------------------------------------------------------------------------
def anthropic_problem(headers: dict[str, str], body: Any, accepted_key: str | None) -> Refusal | None:
    """Why the real /v1/messages would refuse this request, or None if it would accept it."""
    key = headers.get("x-api-key")
    if not key or (accepted_key is not None and key != accepted_key):  # [AN-V] [AN-E]
        return anthropic_error(401, "authentication_error", "invalid x-api-key")
    version = headers.get("anthropic-version")
    if version is None:
        return anthropic_error(400, "invalid_request_error", "anthropic-version: header is required")
    if version not in ANTHROPIC_VERSIONS:
        return anthropic_error(400, "invalid_request_error", f"anthropic-version: invalid version '{version}'")
    if not isinstance(body, dict):
        return anthropic_error(400, "invalid_request_error", "There was an issue with the format of your request.")
    for k in body:
        if k not in _ANTHROPIC_KEYS:
            return anthropic_error(400, "invalid_request_error", f"{k}: Extra inputs are not permitted")
    for k in ("model", "max_tokens", "messages"):
        if k not in body:
            return anthropic_error(400, "invalid_request_error", f"{k}: Field required")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return anthropic_error(400, "invalid_request_error", "max_tokens: Input should be greater than or equal to 1")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        return anthropic_error(400, "invalid_request_error", "messages: at least one message is required")
    cache_marks = _count_cache_control(body.get("system")) + _count_cache_control(body.get("tools"))
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            role = m.get("role") if isinstance(m, dict) else None
            return anthropic_error(400, "invalid_request_error",
                                   f"messages.{i}.role: Input should be 'user' or 'assistant' (got {role!r})")
        content = m.get("content")
        if isinstance(content, list):
            for j, block in enumerate(content):
                if not isinstance(block, dict) or "type" not in block:
                    return anthropic_error(400, "invalid_request_error", f"messages.{i}.content.{j}: invalid block")
                if block["type"] == "image":
                    problem = _anthropic_image_problem(block, f"messages.{i}.content.{j}", m["role"])
                    if problem:
                        return anthropic_error(400, "invalid_request_error", problem)
            cache_marks += _count_cache_control(content)
        elif not isinstance(content, str) or not content:
            return anthropic_error(400, "invalid_request_error", f"messages.{i}: content must be non-empty")
    if messages[0]["role"] != "user":
        return anthropic_error(400, "invalid_request_error", "messages: first message must use the \"user\" role")
    if cache_marks > 4:  # [AN-C]
        return anthropic_error(400, "invalid_request_error",
                               f"A maximum of 4 blocks with cache_control may be provided. Found {cache_marks}.")
    bad_cache = _bad_cache_control(body)
    if bad_cache:
        return anthropic_error(400, "invalid_request_error", bad_cache)
    names = []
    for i, tool in enumerate(body.get("tools") or []):  # [AN-T]
        if not isinstance(tool, dict) or not _TOOL_NAME.match(str(tool.get("name", ""))):
            return anthropic_error(400, "invalid_request_error",
                                   f"tools.{i}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return anthropic_error(400, "invalid_request_error", f"tools.{i}.input_schema: type must be 'object'")
        names.append(tool["name"])
    choice = body.get("tool_choice")
    if choice is not None:
        kind = choice.get("type") if isinstance(choice, dict) else None
        if kind not in ("auto", "any", "tool", "none"):
            return anthropic_error(400, "invalid_request_error", "tool_choice.type: Input tag does not match")
        if kind == "tool" and choice.get("name") not in names:
            return anthropic_error(400, "invalid_request_error",
                                   f"tool_choice: tool '{choice.get('name')}' was not found in tools")
        if kind in ("any", "tool") and not names:
            return anthropic_error(400, "invalid_request_error", "tool_choice may only be specified while providing "
                                   "tools.")
    thinking = body.get("thinking")
    if thinking is not None:  # [AN-X]
        if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled"):
            return anthropic_error(400, "invalid_request_error", "thinking.type: Input tag does not match")
        if thinking["type"] == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                return anthropic_error(400, "invalid_request_error", "thinking.enabled.budget_tokens: Input should "
                                       "be greater than or equal to 1024")
            if budget >= max_tokens:
                return anthropic_error(400, "invalid_request_error", "`max_tokens` must be greater than "
                                       "`thinking.budget_tokens`.")
            if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
                return anthropic_error(400, "invalid_request_error", "Thinking may not be enabled when tool_choice "
                                       "forces tool use.")
            if body.get("temperature", 1) != 1:
                return anthropic_error(400, "invalid_request_error", "temperature may only be set to 1 when "
                                       "thinking is enabled.")
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        return anthropic_error(400, "invalid_request_error", "temperature: Input should be less than or equal to 1")
    return None


def _count_cache_control(blocks: Any) -> int:
    return sum(1 for b in blocks if isinstance(b, dict) and "cache_control" in b) if isinstance(blocks, list) else 0


def _bad_cache_control(body: dict[str, Any]) -> str | None:
    blocks: list[Any] = [*(body.get("system") if isinstance(body.get("system"), list) else []),
                         *(body.get("tools") or [])]
    for m in body["messages"]:
        if isinstance(m.get("content"), list):
            blocks += m["content"]
    for block in blocks:
        mark = block.get("cache_control") if isinstance(block, dict) else None
        if mark is not None and (not isinstance(mark, dict) or mark.get("type") != "ephemeral"
                                 or mark.get("ttl", "5m") not in ("5m", "1h")):
            return "cache_control.type: Input tag does not match the expected tag 'ephemeral'"
    return None


# -- local servers (issue 19) ---------------------------------------------------------------------
# [LCP] llama-cpp-python 0.3.36, `python -m llama_cpp.server`, read in its source and met for real
# (tests/recordings/ holds its answers, byte for byte):
# - llama_cpp/llama_types.py: ChatCompletionRequestResponseFormat is {type: Literal["text",
#   "json_object"], schema: NotRequired[JsonType]}; llama_chat_format.py turns a json_object's
#   `schema` into a grammar (_grammar_for_response_format), so the reply matches the schema.
# - llama_cpp/server/errors.py, RouteErrorHandler: any exception while handling a request, the
#   request's own validation error included, is answered HTTP 500 {"error": {"message": str(error),
#   "type": "internal_server_error", "param": null, "code": null}}; "Requested tokens (N) exceed
#   context window of M" is answered 400 with code context_length_exceeded and param messages.
# - It is FastAPI: a path it does not serve (POST /api/chat) is 404 {"detail": "Not Found"}.
# [OL] Ollama (docs/api.md, "Generate a chat completion"; "Structured outputs"): POST /api/chat
#   takes model, messages, format ("json" or a JSON schema), stream, options (num_predict). With
#   stream false it answers {"model", "created_at", "message": {"role", "content"}, "done": true,
#   "done_reason": "stop" | "length", "prompt_eval_count", "eval_count", ...}; errors are
#   {"error": "..."} (400 for a bad request, 404 for a model it does not have).
# The message, byte for byte as the real server answered (the path is where that server was installed).
LLAMA_CPP_PYTHON_FORMAT_ERROR = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input "
    "should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}"
    "\n\n  File \"/work/llamaenv/lib/python3.11/site-packages/llama_cpp/server/app.py\", line 376, in "
    "create_chat_completion\n    POST /v1/chat/completions")


def llama_cpp_python_problem(path: str, body: Any) -> Refusal | None:
    """[LCP] Why llama-cpp-python's server would refuse this request, with its status and body."""
    if not path.endswith("/chat/completions"):
        return 404, {"detail": "Not Found"}
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return 500, {"error": {"message": "Field required: messages", "type": "internal_server_error",
                               "param": None, "code": None}}
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object")):
        return 500, {"error": {"message": LLAMA_CPP_PYTHON_FORMAT_ERROR, "type": "internal_server_error",
                               "param": None, "code": None}}
    return None


def ollama_problem(path: str, body: Any) -> Refusal | None:
    """[OL] Why Ollama's native /api/chat would refuse this request."""
    if not path.endswith("/api/chat"):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
        return 400, {"error": "model is required"}
    if not isinstance(body.get("messages"), list):
        return 400, {"error": "messages must be a list"}
    fmt = body.get("format")
    if fmt is not None and fmt != "json" and not isinstance(fmt, dict):
        return 400, {"error": "invalid format: expected \"json\" or a JSON schema"}
    return None


# -- images (vision) -------------------------------------------------------------------------------
IMAGE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/gif": b"GIF8",
               "image/webp": b"RIFF"}
OPENAI_MAX_IMAGE_BYTES = 20 * 1024 * 1024  # [OA-V]
ANTHROPIC_MAX_IMAGE_BASE64 = 5 * 1024 * 1024  # [AN-I]
_DATA_URL = re.compile(r"data:(image/[a-z0-9.+-]+);base64,(.*)", re.S)


def _decoded(data: str) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _kind(data: bytes) -> str | None:
    """The image format the bytes are, by their magic (WebP: RIFF….WEBP)."""
    for kind, magic in IMAGE_TYPES.items():
        if data.startswith(magic) and (kind != "image/webp" or data[8:12] == b"WEBP"):
            return kind
    return None


def _openai_part_problem(part: Any, where: str, role: str) -> Refusal | None:
    """[OA-V] one content part of a chat message."""
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text":
        if not isinstance(part.get("text"), str):
            return openai_error(400, f"Invalid type for '{where}.text'.", param=f"{where}.text", code="invalid_type")
        return None
    if kind != "image_url":
        return openai_error(400, f"Invalid value: '{kind}'. Supported values are: 'text', 'image_url', "
                            "'input_audio', 'refusal', 'audio', and 'file'.", param=f"{where}.type",
                            code="invalid_value")
    if role != "user":
        return openai_error(400, f"Invalid '{where}': image content parts are only allowed in user messages.",
                            param=where, code="invalid_value")
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        return openai_error(400, f"Missing required parameter: '{where}.image_url.url'.",
                            param=f"{where}.image_url.url", code="missing_required_parameter")
    if image.get("detail", "auto") not in ("auto", "low", "high"):
        return openai_error(400, f"Invalid value: '{image['detail']}'. Supported values are: 'auto', 'low', and "
                            "'high'.", param=f"{where}.image_url.detail", code="invalid_value")
    if re.match(r"https?://", url):
        return None  # the service fetches it; the fake does not
    found = _DATA_URL.fullmatch(url)
    data = _decoded(found.group(2)) if found else None
    if data is None:
        return openai_error(400, "Invalid base64 image_url.", param=f"{where}.image_url.url", code="invalid_image_url")
    if len(data) > OPENAI_MAX_IMAGE_BYTES:
        return openai_error(400, f"Image too large: {len(data)} bytes, the limit is {OPENAI_MAX_IMAGE_BYTES}.",
                            param=f"{where}.image_url.url", code="image_too_large")
    if found is None or found.group(1) not in IMAGE_TYPES or _kind(data) is None:
        return openai_error(400, "You uploaded an unsupported image. Please make sure your image has of one the "
                            "following formats: ['png', 'jpeg', 'gif', 'webp'].", param=f"{where}.image_url.url",
                            code="invalid_image_format")
    return None


def _anthropic_image_problem(block: dict[str, Any], where: str, role: str) -> str | None:
    """[AN-I] one image block of a message; the message of the 400 it earns, or None."""
    if role != "user":
        return f"{where}: images are only allowed in user messages"
    source = block.get("source")
    if not isinstance(source, dict) or source.get("type") not in ("base64", "url"):
        return f"{where}.image.source: Input tag does not match any of the expected tags: 'base64', 'url'"
    if source["type"] == "url":
        return None if isinstance(source.get("url"), str) else f"{where}.image.source.url: Field required"
    media_type = source.get("media_type")
    if media_type not in IMAGE_TYPES:
        return (f"{where}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
                "'image/webp'")
    data = source.get("data")
    if not isinstance(data, str):
        return f"{where}.image.source.base64.data: Field required"
    if len(data) > ANTHROPIC_MAX_IMAGE_BASE64:
        return f"{where}.image.source.base64: image exceeds 5 MB maximum: {len(data)} bytes > 5242880 bytes"
    decoded = _decoded(data)
    if decoded is None:
        return f"{where}.image.source.base64.data: invalid base64 data"
    if _kind(decoded) != media_type:
        return f"{where}.image.source.base64: Image does not match the provided media type {media_type}"
    return None
