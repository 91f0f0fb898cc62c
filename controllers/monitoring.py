"""``POST /itsm/alerts/<uuid>``: Prometheus Alertmanager's (and Grafana Alerting's) webhook.

Plain HTTP with a JSON body (not JSON-RPC), ``Authorization: Bearer <token>``. Answers 200 with the counts
``{"created", "updated", "resolved", "ignored", "rejected", "errors"}`` (a bad alert is rejected alone, with its
reason, the others processed), or an error that tells a stranger nothing: 401 (unknown or malformed identifier,
archived source, missing or wrong token: the same body), 413 (over 1 MiB, or more alerts than the limit, which
the body names), 429 with ``Retry-After`` (over the source's requests per minute, counted in PostgreSQL), 400 with
a reason (empty, not JSON, nested too deep, not an Alertmanager payload). The token is never logged: only its
SHA-256 is stored and compared, in constant time. Never a 500 for what a sender can put in the request.
"""

import hmac
import json
import logging
import re

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import SUPERUSER_ID
from odoo import http
from odoo.http import request

from ..monitoring_rules import MAX_BODY
from ..monitoring_rules import MAX_DEPTH
from ..monitoring_rules import json_depth
from ..monitoring_rules import token_hash

_logger = logging.getLogger(__name__)

_DUMMY_HASH = "0" * 64
# A source's identifier as ``uuid.uuid4()`` writes it; anything else is unknown without asking the database.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _strict_json(constant):
    """NaN and Infinity are not JSON (PostgreSQL's jsonb refuses them): the body is refused."""
    raise ValueError(f"{constant} is not JSON")


def _answer(status, body, headers=None):
    return request.make_json_response(body, headers=headers, status=status)


def _unauthorized():
    return _answer(401, {"error": "unauthorized"})


class ItsmMonitoringController(http.Controller):
    @http.route(
        "/itsm/alerts/<string:source_uuid>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
        max_content_length=MAX_BODY,
    )
    def itsm_alerts(self, source_uuid, **_kwargs):
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None and length > MAX_BODY:
            return _answer(413, {"error": "payload too large"})
        env = request.env(user=SUPERUSER_ID, su=True)
        cr = env.cr
        found = None
        if _UUID.fullmatch(source_uuid):
            cr.execute(
                "SELECT id, token_hash, rate_limit_per_minute FROM itsm_monitoring_source "
                "WHERE uuid = %s AND active AND kind = 'alertmanager'",
                [source_uuid],
            )
            found = cr.fetchone()
        header = httprequest.headers.get("Authorization") or ""
        scheme, _sep, token = header.partition(" ")
        given = token_hash(token.strip()) if scheme.lower() == "bearer" and token.strip() else ""
        expected = (found[1] if found else None) or _DUMMY_HASH
        # Compared in every case, so that an unknown identifier takes as long as a wrong token.
        valid = hmac.compare_digest(given.encode(), expected.encode())
        if not found or not found[1] or not valid:
            return _unauthorized()
        source_id, _hash, limit = found
        source = env["itsm.monitoring.source"].browse(source_id)
        count, retry_after = source._itsm_rate_count_autonomous()
        if count > limit:
            return _answer(429, {"error": "too many requests"}, headers=[("Retry-After", str(retry_after))])
        try:
            # bounded by the route's max_content_length, chunked bodies included
            body = httprequest.get_data()  # cached: Odoo replays the request after a serialization failure
        except RequestEntityTooLarge:
            body = None
        if body is None or len(body) > MAX_BODY:
            return _answer(413, {"error": "payload too large"})
        if not body.strip():
            return _answer(400, {"error": env._("The body is empty: a JSON payload is expected.")})
        too_deep = env._("The JSON is nested more than %(depth)s levels deep.", depth=MAX_DEPTH)
        try:
            payload = json.loads(body, parse_constant=_strict_json)
        except (ValueError, UnicodeDecodeError):
            return _answer(400, {"error": "the body is not JSON"})
        except RecursionError:
            return _answer(400, {"error": too_deep})
        if json_depth(payload) > MAX_DEPTH:
            return _answer(400, {"error": too_deep})
        if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
            return _answer(400, {"error": env._("Not an Alertmanager webhook payload: an object with an alerts list.")})
        max_alerts = source._itsm_max_alerts()
        if len(payload["alerts"]) > max_alerts:
            message = env._(
                "Too many alerts: %(count)s, at most %(max)s per payload (max_alerts: %(max)s in Alertmanager's "
                "webhook_config).",
                count=len(payload["alerts"]),
                max=max_alerts,
            )
            return _answer(413, {"error": message, "max_alerts": max_alerts})
        source = source.with_company(source.company_id)
        counts = source._itsm_process_payload_autonomous(payload)
        _logger.info("Monitoring source %s: %s", source_id, counts)
        return _answer(200, counts)
