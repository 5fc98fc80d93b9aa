"""Why a model call produced no result. Kept apart from the client so that code which only
needs to catch these (the compile job) does not import httpx on the offline path."""

from __future__ import annotations


class ModelError(Exception):
    """A model call that did not produce a usable result. The message is safe to show and log."""


class QuotaExceeded(ModelError):
    """The provider says the account is out of quota or over a spend limit: retrying cannot help."""


class EndpointDown(ModelError):
    """The circuit breaker is open for this endpoint: calls fail fast until it cools down."""


class BadOutput(ModelError):
    """The reply was not JSON matching the schema, even after one repair attempt."""


class Truncated(ModelError):
    """The reply hit the output-token limit, even after one retry with a larger limit."""


class BudgetExceeded(ModelError):
    """The call would cross a spending cap; it was not made and its job stays pending."""


class Refused(ModelError):
    """The model declined to answer (OpenAI `refusal`, Anthropic stop_reason `refusal`, a content
    filter): asking again with the same input would be refused again."""


class SchemaRejected(ModelError):
    """The provider refused the result schema kbd sent (a 400 about the schema): a configuration
    problem (e.g. `structured:` for a server that does not support strict schemas), never retried."""
