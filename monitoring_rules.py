"""Pure rules of the monitoring alerts: token hash, alert times, fingerprints, the default subject patterns.

Plain functions and constants, without the ORM: the models and the webhook controller call them.
"""

import hashlib
import json
import re
from datetime import datetime
from datetime import timedelta

PRIORITIES = [("0", "Low"), ("1", "Medium"), ("2", "High"), ("3", "Very High")]
DEFAULT_SEVERITIES = (("critical", "3"), ("warning", "2"), ("info", "1"))
# Subjects of the default notifications of Nagios / Centreon (service and host) and Zabbix 5+ ("Problem:",
# "Resolved in 1m 2s:"). Named groups: status, host, service (optional: severity).
DEFAULT_SUBJECT_PATTERNS = "\n".join(
    [
        r"^\*\* (?P<status>PROBLEM|RECOVERY) Service Alert: (?P<host>[^/\s]+)/(?P<service>.+?) is "
        r"(?P<severity>\w+) \*\*$",
        r"^\*\* (?P<status>PROBLEM|RECOVERY) Host Alert: (?P<host>\S+) is (?P<severity>\w+) \*\*$",
        r"^(?P<status>Problem|Resolved)(?: in [^:]*)?: (?P<service>.+?)(?: on (?P<host>\S+))?$",
    ]
)
FIRING_WORDS = {"problem", "firing", "critical", "warning", "down", "unreachable"}
# Labels that name the machine an alert is about, most specific first (Prometheus, Grafana, e-mail, node exporter)
HOST_LABELS = ("instance", "host", "hostname", "nodename")
RESOLVED_WORDS = {"recovery", "resolved", "ok", "up"}
BODY_HOST = re.compile(r"^\s*Host(?:name)?\s*:\s*(?P<host>\S+)", re.MULTILINE | re.IGNORECASE)
MAX_FINGERPRINT = 128
MAX_SUBJECT = 250
MAX_DESCRIPTION_LABELS = 20000  # characters of labels/annotations copied into the ticket (the alert keeps all)
NOTE_INTERVAL = timedelta(hours=1)
REQUEST_DATE_PAST = timedelta(days=7)  # an older startsAt is kept on the alert, the ticket counts from receipt
# Webhook limits (docs/security.rst, "Monitoring webhook limits"). Alerts per payload: the system parameter
# MAX_ALERTS_PARAM, this by default; the Alertmanager snippet sets ``max_alerts`` to it.
MAX_ALERTS = 100
MAX_ALERTS_PARAM = "itsm_service_contract.monitoring_max_alerts"
MAX_BODY = 1024 * 1024  # bytes of one payload
MAX_DEPTH = 16  # nesting of the payload's JSON (Alertmanager's is 4 deep, Grafana's 5)
_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$")
_OLDEST = datetime(1970, 1, 1)
_LATEST = datetime(9999, 12, 30)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _is_zero_time(value):
    return value is None or value == "" or (isinstance(value, str) and value.startswith("0001-01-01"))


def parse_time(value):
    """Alertmanager's RFC 3339 times (Go: up to 9 decimals, ``Z`` or an offset) as naive UTC, or None (no time,
    Go's zero time, or a value ``time_problem`` refuses)."""
    if _is_zero_time(value) or not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if not match:
        return None
    day, clock, _fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}")
    except ValueError:
        return None
    # the fraction of a second (Go writes up to 9 decimals) is dropped: Odoo stores whole seconds
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        sign = 1 if zone[0] == "+" else -1
        try:
            moment -= sign * timedelta(hours=hours, minutes=minutes)
        except OverflowError:
            return None
    if not _OLDEST <= moment <= _LATEST:
        return None
    return moment


def time_problem(value):
    """Why ``value`` is not a time an alert may carry (``startsAt``, ``endsAt``), or None: absent and Go's zero time
    are fine, else an RFC 3339 time with a real offset, from 1970 to 9999."""
    if _is_zero_time(value):
        return None
    if not isinstance(value, str) or parse_time(value) is None:
        return "bad_time"
    return None


def text_problem(value):
    """Why the JSON value ``value`` (walked without recursion) cannot be stored, or None: a NUL character
    (PostgreSQL refuses it in text and JSON) or a lone surrogate such as JSON's ``"\\ud800"`` (not UTF-8)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "nul_character"
            try:
                item.encode()
            except UnicodeEncodeError:
                return "invalid_unicode"
    return None


def json_depth(value, limit=MAX_DEPTH):
    """The nesting depth of a parsed JSON value, walked without recursion; stops counting past ``limit``."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def alert_problem(item, payload_status=None):
    """Why one alert of a webhook payload is refused, as a key of ``ALERT_PROBLEMS``, or None when it is usable.

    Alertmanager's format: an object with ``status`` (firing/resolved, else the payload's), ``labels`` (a non-empty
    object of strings), ``annotations`` (an object of strings, optional), ``startsAt`` / ``endsAt`` (RFC 3339);
    Grafana adds ``values`` and URLs. No string anywhere in the alert may hold a NUL or a lone surrogate."""
    if not isinstance(item, dict):
        return "not_an_object"
    if (item.get("status") or payload_status) not in ("firing", "resolved"):
        return "bad_status"
    labels = item.get("labels")
    if not isinstance(labels, dict) or not labels:
        return "no_labels"
    if not all(isinstance(key, str) and isinstance(val, str) for key, val in labels.items()):
        return "label_not_text"
    annotations = item.get("annotations")
    if annotations is not None and not isinstance(annotations, dict):
        return "bad_annotations"
    if annotations and not all(isinstance(val, str) for val in annotations.values()):
        return "bad_annotations"
    return text_problem(item) or time_problem(item.get("startsAt")) or time_problem(item.get("endsAt"))


def labels_fingerprint(labels):
    """A stable fingerprint from the alert's labels (older Alertmanager versions send none)."""
    canonical = json.dumps(sorted((str(k), str(v)) for k, v in labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def mail_fingerprint(host, service):
    return hashlib.sha256(f"{host or ''}\n{service or ''}".encode()).hexdigest()[:16]
