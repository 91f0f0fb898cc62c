"""What the portal accepts from a client: record ids and free text, checked before anything is read or saved.

An id from a URL or a form is a positive decimal integer that PostgreSQL's ``integer`` holds: ``²`` (a digit
for ``str.isdigit`` that ``int`` refuses), a NUL, ``-1``, ``2**80`` or ``[1]`` is no record, never a 500. Free
text is at most ``itsm_service_contract.portal_text_limit`` characters (64 KiB unless the system parameter
says otherwise): past it the form is refused with a message and nothing is saved.
"""

MAX_ID = 2**31 - 1
PORTAL_TEXT_LIMIT = 64 * 1024
TEXT_LIMIT_PARAM = "itsm_service_contract.portal_text_limit"


def portal_id(raw):
    """The record id ``raw`` names (an int between 1 and 2**31 - 1), or None for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 < raw <= MAX_ID else None
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def portal_text_limit(env):
    """Characters a portal client may type in one free-text field."""
    value = env["ir.config_parameter"].sudo().get_param(TEXT_LIMIT_PARAM)
    try:
        limit = int(value) if value else PORTAL_TEXT_LIMIT
    except ValueError:
        return PORTAL_TEXT_LIMIT
    return limit if limit > 0 else PORTAL_TEXT_LIMIT


def text_too_long(env, values, fields):
    """The error message for the first of ``fields`` (name -> label) longer than the limit, or None."""
    limit = portal_text_limit(env)
    for name, label in fields.items():
        text = values.get(name)
        if isinstance(text, str) and len(text) > limit:
            return env._(
                "%(field)s is too long (%(length)s characters, at most %(limit)s): shorten it, or attach the "
                "details as a file.",
                field=label,
                length=len(text),
                limit=limit,
            )
    return None
