"""The gateway's HTTP API as an OpenAPI 3.1 document, served at `GET /openapi.json`.

Built from the same constants the request parser checks (`sekimori.gateway.parse`), so the
documented limits cannot drift from the enforced ones; a test compares its paths with the app's
route table. Request bodies describe the subset of the OpenAI API that the gateway reads: any
other field is forwarded to the upstream as sent, so every body allows more properties.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sekimori import __version__
from sekimori.gateway.admin import LIMIT_FIELDS, MAX_BODY_BYTES, MAX_FIGURE, PREFIX
from sekimori.gateway.parse import (
    MAX_MODEL_CHARS,
    NUMBER_FIELDS,
    RESPONSE_ROLES,
    ROLES,
    TEXT_PART_TYPES,
)
from sekimori.settings import ServerSettings
from sekimori.store.tenants import DISPLAY_MAX, NAME_PATTERN, TIER_PATTERN, TenantStatus

Schema = dict[str, Any]

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_BEARER: list[dict[str, list[str]]] = [{"apiKey": []}]


def _error(description: str, *, retry_after: bool = False) -> Schema:
    response: Schema = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if retry_after:
        response["headers"] = {
            "retry-after": {
                "description": "seconds to wait before retrying / 再試行までの秒数",
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }
        }
    return response


def _json(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _numbers() -> dict[str, Schema]:
    """The sampling fields whose types and ranges the gateway checks (400 otherwise)."""
    fields: dict[str, Schema] = {}
    for name, (types, low, high) in NUMBER_FIELDS.items():
        field: Schema = {"minimum": low, "maximum": high}
        if types == (int,):
            # JSON Schema counts 5.0 as an integer; the gateway refuses it (400).
            field |= {"type": "integer", "description": "written without a decimal point"}
        else:
            field["type"] = "number"
        fields[name] = _nullable(field)
    return fields


_AUTH_ERRORS = {
    "401": _error("API key missing, invalid or revoked (`invalid_api_key`)"),
    "403": _error(
        "the key's tenant is suspended (`tenant_suspended`, `sekimori tenants suspend`); on "
        "screened endpoints also a key the watch suspended (`key_suspended`)"
    ),
}

# Every status a screened endpoint (chat, completions, embeddings) may answer besides 200.
_SCREENED_ERRORS: dict[str, Schema] = {
    "400": _error(
        "the body is not JSON, not UTF-8 or not an object, or a field is wrong (`param` names "
        "it); a blocked embeddings input (`content_filter`)"
    ),
    **_AUTH_ERRORS,
    "404": _error("no upstream serves the model (`model_not_found`)"),
    "413": _error("the body is over server.max_body_bytes, or more text than the screen reads"),
    "429": _error("a rate limit, quota or the tenant's screening queue is full", retry_after=True),
    "4XX": _error("the upstream answered this 4xx (`upstream_<status>`); passed on"),
    "502": _error("the upstream refused, reset, answered 5xx or something unreadable"),
    "503": _error(
        "screening, the audit trail or the rate-limit store is unavailable, or the gateway's "
        "screening queue or its budget for request bodies in flight is full",
        retry_after=True,
    ),
    "504": _error("the upstream did not connect or answer in time (`upstream_timeout`)"),
}

_REQUEST_ID = {
    "name": "x-request-id",
    "in": "header",
    "required": False,
    "description": "the client's request id, echoed back and audited when it is 1-64 of "
    "`[A-Za-z0-9._-]`; otherwise the gateway's own id is sent back",
    "schema": {"type": "string"},
}

_ANSWER_HEADERS = {
    "x-request-id": {
        "description": "the client's id or the gateway's",
        "schema": {"type": "string"},
    },
    "x-sekimori-decision": {
        "description": "the screen's decision",
        "schema": {"type": "string", "enum": ["allow", "flag", "redact", "block"]},
    },
}


def _screened(summary: str, body: str, answer: Schema) -> Schema:
    return {
        "post": {
            "summary": summary,
            "security": _BEARER,
            "parameters": [_REQUEST_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}
                },
            },
            "responses": {
                "200": {
                    "description": "the upstream's answer, screened; a blocked prompt gets a "
                    "refusal in the same shape (`finish_reason: content_filter`)",
                    "headers": _ANSWER_HEADERS,
                    "content": answer,
                },
                **_SCREENED_ERRORS,
            },
        }
    }


def _streamable(schema: str) -> Schema:
    return {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
        # Before OpenAPI 3.2 the schema of an event stream describes each event.
        "text/event-stream": {
            "schema": {
                "type": "object",
                "required": ["data"],
                "properties": {"data": {"type": "string"}},
                "description": f"with `stream: true`: one {schema} chunk (or an error) as JSON "
                "a `data:` event; the stream ends with `data: [DONE]`",
            },
        },
    }


def _answer(kind: str) -> Schema:
    """An upstream's answer as forwarded: the gateway relies on its `choices` only."""
    return {
        "type": "object",
        "required": ["object", "choices"],
        "properties": {
            "id": {"type": "string"},
            "object": {"type": "string", "examples": [kind]},
            "choices": {"type": "array", "items": {"type": "object"}},
        },
    }


def _schemas(server: ServerSettings, tiers: Collection[str]) -> dict[str, Schema]:
    model = {"type": "string", "minLength": 1, "maxLength": MAX_MODEL_CHARS}
    streaming = {
        "stream": {"type": ["boolean", "null"]},
        "stream_options": _nullable(
            {"type": "object", "properties": {"include_usage": {"type": "boolean"}}}
        ),
    }
    texts = {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "minItems": 1, "items": {"type": "string"}},
        ],
        "description": "text or an array of texts; token ids are refused (they cannot be screened)",
    }
    # A text part's `text` is a string; a part of another type (an image) is forwarded as sent.
    part = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string"}},
        "if": {"properties": {"type": {"enum": sorted(TEXT_PART_TYPES)}}},
        "then": {"required": ["text"], "properties": {"text": {"type": "string"}}},
    }
    message = {
        "type": "object",
        "required": ["role"],
        "properties": {
            "role": {"type": "string", "enum": sorted(ROLES)},
            "content": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "null"},
                    {"type": "array", "items": part},
                ]
            },
        },
        # An assistant message may carry only tool calls; any other role needs content.
        "anyOf": [{"required": ["content"]}, {"properties": {"role": {"const": "assistant"}}}],
    }
    # What the parser reads of a Responses input: its messages and function outputs.
    content = {"anyOf": [{"type": "string"}, {"type": "null"}, {"type": "array", "items": part}]}
    item = {
        "type": "object",
        "properties": {"type": {"type": "string"}},
        "allOf": [
            {
                # No type is a message.
                "if": {"properties": {"type": {"const": "message"}}},
                "then": {
                    "required": ["role", "content"],
                    "properties": {
                        "role": {"type": "string", "enum": sorted(RESPONSE_ROLES)},
                        "content": content,
                    },
                },
            },
            {
                "if": {
                    "required": ["type"],
                    "properties": {"type": {"const": "function_call_output"}},
                },
                "then": {"properties": {"output": content}},
            },
        ],
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message", "type", "param", "code"],
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                        "param": {"type": ["string", "null"]},
                        "code": {"type": ["string", "null"]},
                    },
                }
            },
        },
        "ChatCompletionRequest": {
            "type": "object",
            "required": ["model", "messages"],
            "properties": {
                "model": model,
                "messages": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": server.max_messages,
                    "items": message,
                },
                **streaming,
                **_numbers(),
            },
        },
        "CompletionRequest": {
            "type": "object",
            "required": ["model", "prompt"],
            "properties": {
                "model": model,
                "prompt": texts,
                "suffix": {"type": ["string", "null"]},
                **streaming,
                **_numbers(),
            },
        },
        "EmbeddingRequest": {
            "type": "object",
            "required": ["model", "input"],
            "properties": {
                "model": model,
                "input": texts,
                "stream": {"enum": [False, None], "description": "embeddings are not streamed"},
            },
        },
        "ResponseRequest": {
            "type": "object",
            "required": ["model"],
            "properties": {
                "model": model,
                "instructions": {"type": ["string", "null"]},
                "input": {
                    "anyOf": [
                        {"type": "string"},
                        {"type": "null"},
                        {"type": "array", "maxItems": server.max_messages, "items": item},
                    ]
                },
                "tools": {"type": ["array", "null"]},
                **streaming,
                **_numbers(),
            },
        },
        "Response": {
            "type": "object",
            "required": ["object", "output"],
            "properties": {
                "id": {"type": "string"},
                "object": {"type": "string", "examples": ["response"]},
                "status": {"type": "string"},
                "output": {"type": "array", "items": {"type": "object"}},
            },
        },
        "ChatCompletion": _answer("chat.completion"),
        "Completion": _answer("text_completion"),
        "Embeddings": {
            "type": "object",
            "required": ["object", "data"],
            "properties": {"object": {"const": "list"}, "data": {"type": "array"}},
        },
        "Model": {
            "type": "object",
            "required": ["id", "object", "created", "owned_by"],
            "properties": {
                "id": {"type": "string"},
                "object": {"const": "model"},
                "created": {"type": "integer"},
                "owned_by": {"type": "string"},
            },
        },
        "ModelList": {
            "type": "object",
            "required": ["object", "data"],
            "properties": {
                "object": {"const": "list"},
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}},
            },
        },
        "Status": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string"}},
        },
        **_tenant_schemas(tiers),
    }


_ADMIN_SECURITY: list[dict[str, list[str]]] = [{"adminToken": []}, {}]
_ADMIN_ERRORS = {
    "401": _error("admin token missing (`invalid_admin_token`)"),
    "403": _error("wrong admin token, or not from this machine (`forbidden`)"),
}
_TENANT_REF = {"$ref": "#/components/schemas/Tenant"}


def _tenant_operation(
    summary: str, answers: dict[str, Schema], conflict: str = "", **extra: Any
) -> Schema:
    """One operation of the tenants admin API: its answers, and the errors every one may give
    (`conflict`: what else its 409 may mean)."""
    return {
        "summary": summary,
        "security": _ADMIN_SECURITY,
        **extra,
        "responses": {
            **answers,
            **_ADMIN_ERRORS,
            "404": _error("no such tenant (`tenant_not_found`), or no such path (`not_found`)"),
            "409": _error(
                "the gateway runs without API keys, so without tenants (`tenants_unavailable`)"
                + conflict
            ),
            "503": _error("the tenant store is unavailable (`store_unavailable`)"),
        },
    }


def _body(schema: str) -> Schema:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _tenant_paths() -> dict[str, Schema]:
    """`/admin/api/tenants` (sekimori.gateway.admin): tenant rows, over JSON."""
    name = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": NAME_PATTERN},
    }
    bad = _error("the body or the name is wrong (`invalid_request`; `param` names the field)")
    one = _json("the tenant as stored now", _TENANT_REF)
    status_change = {
        action: {
            "post": _tenant_operation(
                f"{action} the tenant ({what})",
                {"200": one, "400": bad},
                parameters=[name],
            )
        }
        for action, what in (
            ("suspend", "its requests get 403 `tenant_suspended`"),
            ("resume", "served again"),
        )
    }
    return {
        PREFIX: {
            "get": _tenant_operation(
                "the tenant rows",
                {"200": _json("every row", {"$ref": "#/components/schemas/TenantList"})},
            ),
            "post": _tenant_operation(
                "add a tenant row",
                {
                    "201": _json("added", _TENANT_REF),
                    "400": bad,
                    "413": _error(f"the body is over {MAX_BODY_BYTES} bytes"),
                },
                conflict="; the tenant is already in the store (`tenant_exists`)",
                requestBody=_body("TenantCreate"),
            ),
        },
        PREFIX + "/{name}": {
            "get": _tenant_operation(
                "one tenant's row and its active keys' ids",
                {
                    "200": _json(
                        "the row",
                        {
                            "allOf": [_TENANT_REF],
                            "required": ["active_keys"],
                            "properties": {
                                "active_keys": {"type": "array", "items": {"type": "string"}}
                            },
                        },
                    ),
                    "400": bad,
                },
                parameters=[name],
            ),
            "patch": _tenant_operation(
                "change a tenant's display name, tier, status or limits",
                {
                    "200": one,
                    "400": bad,
                    "413": _error(f"the body is over {MAX_BODY_BYTES} bytes"),
                },
                parameters=[name],
                requestBody=_body("TenantChange"),
            ),
            "delete": _tenant_operation(
                "remove a tenant row",
                {
                    "200": _json(
                        "removed",
                        {
                            "type": "object",
                            "required": ["object", "name", "deleted"],
                            "properties": {
                                "object": {"const": "tenant.deleted"},
                                "name": {"type": "string"},
                                "deleted": {"const": True},
                            },
                        },
                    ),
                    "400": bad,
                },
                conflict="; unrevoked keys still name the tenant (`tenant_in_use`)",
                parameters=[name],
            ),
        },
        **{f"{PREFIX}/{{name}}/{action}": item for action, item in status_change.items()},
    }


def _tenant_schemas(tiers: Collection[str]) -> dict[str, Schema]:
    figure: Schema = {"type": "integer", "minimum": 0, "maximum": MAX_FIGURE}
    display = {"type": "string", "maxLength": DISPLAY_MAX, "pattern": "^[^\\x00-\\x1f]*$"}
    # the tiers the policy defines: any other name is refused (400), so the document says which
    named: Schema = {"type": "string", "enum": sorted(tiers)} if tiers else {"type": "string"}
    tier = {"anyOf": [named | {"pattern": TIER_PATTERN}, {"type": "null"}]}
    status = {"type": "string", "enum": [s.value for s in TenantStatus]}

    def limits(given: Schema, description: str) -> Schema:
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {field: given for field in LIMIT_FIELDS},
            "description": description,
        }

    nullable = _nullable(figure)
    over = "over the policy file's limits"
    fields = {
        "display_name": display,
        "tier": tier | {"description": "a tier the gateway's policy defines; null: the file's"},
        "status": status,
        "limits": limits(nullable, f"the tenant's whole traffic, {over}; null: none"),
        "key_limits": limits(nullable, f"each of its keys, {over}; null: none"),
    }
    return {
        "Tenant": {
            "type": "object",
            "required": [
                *("object", "name", "display_name", "tier", "status", "limits"),
                *("key_limits", "created", "updated"),
            ],
            "properties": {
                "object": {"const": "tenant"},
                "name": {"type": "string"},
                "display_name": {"type": "string"},
                "tier": {"type": ["string", "null"]},
                "status": status,
                "limits": limits(figure, "the figures the row sets"),
                "key_limits": limits(figure, "the figures the row sets for each key"),
                "created": {"type": "number", "description": "Unix seconds"},
                "updated": {"type": "number", "description": "Unix seconds"},
            },
        },
        "TenantList": {
            "type": "object",
            "required": ["object", "data"],
            "properties": {
                "object": {"const": "list"},
                "data": {"type": "array", "items": _TENANT_REF},
            },
        },
        "TenantCreate": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": {"type": "string", "pattern": NAME_PATTERN}, **fields},
        },
        "TenantChange": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": fields,
            "description": "only the fields given change; in `limits` and `key_limits`, null "
            "puts a figure back to the policy file's",
        },
    }


def build_document(server: ServerSettings, tiers: Collection[str] = ()) -> Schema:
    """The OpenAPI 3.1 document for a gateway running with `server`'s limits and a policy
    defining ``tiers``."""
    status = {"$ref": "#/components/schemas/Status"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sekimori gateway",
            "version": __version__,
            "description": "An OpenAI-compatible safety gateway: every request is authenticated, "
            "screened, forwarded and audited. Errors have the OpenAI shape. A client that "
            "disconnects is recorded as 499 and gets no answer. / OpenAI 互換の安全ゲートウェイ。"
            "すべての要求を認証・検査・転送・監査します。",
        },
        "paths": {
            "/v1/chat/completions": _screened(
                "chat completion, screened both ways",
                "ChatCompletionRequest",
                _streamable("ChatCompletion"),
            ),
            "/v1/completions": _screened(
                "legacy text completion, screened both ways",
                "CompletionRequest",
                _streamable("Completion"),
            ),
            "/v1/responses": _screened(
                "Responses API, screened both ways (a block: status incomplete, "
                "incomplete_details.reason content_filter)",
                "ResponseRequest",
                {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Response"}},
                    "text/event-stream": {
                        "schema": {
                            "type": "object",
                            "required": ["data"],
                            "properties": {"data": {"type": "string"}},
                            "description": "with `stream: true`: one `response.*` event (or an "
                            "error) as JSON in a `data:` event; the stream ends with "
                            "`response.completed`, `response.incomplete` or `response.failed`",
                        },
                    },
                },
            ),
            "/v1/embeddings": _screened(
                "embeddings of screened, redacted input",
                "EmbeddingRequest",
                {"application/json": {"schema": {"$ref": "#/components/schemas/Embeddings"}}},
            ),
            "/v1/models": {
                "get": {
                    "summary": "the models served here",
                    "security": _BEARER,
                    "responses": {
                        "200": _json("the model list", {"$ref": "#/components/schemas/ModelList"}),
                        **_AUTH_ERRORS,
                    },
                }
            },
            "/v1/models/{id}": {
                "get": {
                    "summary": "one served model (an id may hold slashes)",
                    "security": _BEARER,
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1},
                        }
                    ],
                    "responses": {
                        "200": _json("the model", {"$ref": "#/components/schemas/Model"}),
                        **_AUTH_ERRORS,
                        "404": _error("no such model is served here (`model_not_found`)"),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "the process is up",
                    "security": [],
                    "responses": {"200": _json("up", status)},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "the stores are open and requests are accepted",
                    "security": [],
                    "responses": {
                        "200": _json("ready", status),
                        "503": _json("starting or stopping", status),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Prometheus text format 0.0.4",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/admin/policy/reload": {
                "post": {
                    "summary": "re-read the policy file",
                    "description": "With server.admin_token unset, only callers on the gateway's "
                    "own machine may call it.",
                    "security": [{"adminToken": []}, {}],
                    "responses": {
                        "200": _json(
                            "reloaded",
                            {
                                "type": "object",
                                "required": ["status", "source"],
                                "properties": {
                                    "status": {"const": "reloaded"},
                                    "source": {"type": "string"},
                                },
                            },
                        ),
                        "400": _error("the new policy is invalid; the old one stays"),
                        "401": _error("admin token missing (`invalid_admin_token`)"),
                        "403": _error("wrong admin token, or not from this machine (`forbidden`)"),
                        "409": _error("this screen has no policy to reload (`not_reloadable`)"),
                    },
                }
            },
            **_tenant_paths(),
            "/openapi.json": {
                "get": {
                    "summary": "this document",
                    "description": "Served without a key: it describes the API every gateway "
                    "of this version serves and holds no tenant data or settings beyond its "
                    "limits, and clients need it before they have a key.",
                    "security": [],
                    "responses": {"200": _json("OpenAPI 3.1", {"type": "object"})},
                }
            },
        },
        "components": {
            "schemas": _schemas(server, tiers),
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a key from `sekimori keys create --tenant NAME`",
                },
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "server.admin_token",
                },
            },
        },
    }
