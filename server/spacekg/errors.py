"""One exception hierarchy for SpaceKG.

Library code raises these; only the CLI (and the web layer's error handlers) turn them
into exit codes or HTTP answers. Subclass ``SpaceKGError`` for any new failure so callers
can catch one base class and still tell the cases apart.
"""

from __future__ import annotations

from typing import Any


class SpaceKGError(Exception):
    """Base class of every error SpaceKG raises on purpose."""


class InputError(SpaceKGError):
    """An input file cannot be read or parsed (bad syntax, unknown format, missing file)."""


class ValidationFailed(SpaceKGError):
    """SHACL validation found violations.

    ``report`` is the :class:`spacekg.build.validate.ValidationReport` (kept as ``Any`` here so this
    module imports nothing heavy).
    """

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class ReasonerUnavailable(SpaceKGError):
    """The OWL reasoner cannot run (Java missing, owlready2 failing to start HermiT)."""


class InconsistentOntology(SpaceKGError):
    """HermiT found the ontology plus data inconsistent, or some classes unsatisfiable.

    ``individuals`` names the offending individuals found, ``classes`` the unsatisfiable
    classes or the disjoint classes involved; either may be empty when nothing more precise
    could be found.
    """

    def __init__(
        self,
        message: str,
        *,
        individuals: tuple[str, ...] = (),
        classes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.individuals = individuals
        self.classes = classes


class BuildError(SpaceKGError):
    """The build could not produce or reuse its output (I/O, store loading, bad manifest)."""


class QueryError(SpaceKGError):
    """A SPARQL query is malformed or cannot be evaluated."""


class ConfigError(SpaceKGError):
    """A setting (CLI option, environment variable, app config) has an unusable value."""


class UnsafeQuery(QueryError):
    """A query asks for something the endpoint refuses: SERVICE, LOAD, updates, remote FROM."""


class QueryTimeout(SpaceKGError):
    """A query ran past the time limit and was stopped. ``limit`` is in seconds."""

    def __init__(self, message: str, *, limit: float) -> None:
        super().__init__(message)
        self.limit = limit


class NotAcceptable(SpaceKGError):
    """No representation matches the request's Accept header or format parameter.

    ``available`` lists the media types that could have been served.
    """

    def __init__(self, message: str, *, available: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.available = available


class BadRequest(SpaceKGError):
    """A protocol request is malformed: missing or repeated query, wrong media type, bad bytes."""


class RequestTooLarge(SpaceKGError):
    """A request body is over the configured size limit."""


class Overloaded(SpaceKGError):
    """No query worker became free in time; the client may retry."""


class TooManyRequests(SpaceKGError):
    """The client already runs its share of long queries; it may retry when one ends."""


class QueryTooComplex(QueryError):
    """A request nests deeper than the engine can parse safely (``sparql.MAX_NESTING``)."""


class RemoteStoreError(SpaceKGError):
    """The remote SPARQL engine is unreachable or answered with something that is not SPARQL
    (502: the fault is upstream, and the message says what the engine said)."""


class MemoryLimitExceeded(SpaceKGError):
    """A query needed more memory than the server allows and was stopped (503)."""


class EngineCrashed(SpaceKGError):
    """The query engine died while evaluating a query (a panic or a crash in native code);
    the process that ran it was replaced and the server goes on."""


class QuerySyntaxError(QueryError):
    """A SPARQL query does not parse; ``line`` and ``column`` (1-based) locate the error."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class UpdateRefused(SpaceKGError):
    """A SPARQL Update reached the read-only endpoint."""


class UnsupportedMediaType(BadRequest):
    """A request body comes with a media type or charset the endpoint does not read."""


class UnknownResource(SpaceKGError):
    """An IRI under the base names nothing the dataset knows (HTTP 404).

    ``iri`` is the IRI that was looked up.
    """

    def __init__(self, message: str, *, iri: str = "") -> None:
        super().__init__(message)
        self.iri = iri


class Unauthorized(SpaceKGError):
    """A write came without a bearer token (HTTP 401 with ``WWW-Authenticate: Bearer``)."""


class WriteForbidden(SpaceKGError):
    """A write came with a token that is not one of the configured write tokens (HTTP 403)."""


class WriteRejected(ValidationFailed):
    """A write would leave the data violating the SHACL shapes; nothing was changed.

    ``report`` is the :class:`spacekg.build.validate.ValidationReport` of the candidate state.
    """


class GraphNotFound(UnknownResource):
    """The Graph Store Protocol names a graph the dataset does not hold (HTTP 404)."""


class UnprocessableWrite(SpaceKGError):
    """A write carries data SpaceKG cannot check, so it is refused before SHACL (HTTP 422):
    a literal that is not a value of its datatype, an RDF 1.2 triple term."""
