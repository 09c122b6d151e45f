"""``/.well-known/void``: the VoID description of the dataset (RFC 8615 well-known URI)."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from spacekg.http.rdfdoc import rdf_response
from spacekg.http.serving import get_store
from spacekg.publish.description import void_description

wellknown_bp = Blueprint("wellknown", __name__)


@wellknown_bp.route("/.well-known/void", methods=["GET"])
def void() -> Response:
    endpoint_url = url_for("sparql.endpoint", _external=True)
    return rdf_response(void_description(endpoint_url, get_store()), request.args.getlist("format"))
