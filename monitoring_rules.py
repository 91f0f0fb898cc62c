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


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def parse_time(value):
    """Alertmanager's RFC 3339 times (Go: up to 9 decimals, ``Z`` or an offset) as naive UTC, or None."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$", value.strip())
    if not match:
        return None
    day, clock, _fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}")
    except ValueError:
        return None
    # the fraction of a second (Go writes up to 9 decimals) is dropped: Odoo stores whole seconds
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment


def labels_fingerprint(labels):
    """A stable fingerprint from the alert's labels (older Alertmanager versions send none)."""
    canonical = json.dumps(sorted((str(k), str(v)) for k, v in labels.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def mail_fingerprint(host, service):
    return hashlib.sha256(f"{host or ''}\n{service or ''}".encode()).hexdigest()[:16]
