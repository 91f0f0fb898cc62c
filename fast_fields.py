"""Field classes that skip the conversions a batch of interventions pays per line when they change nothing.

A batch of 2 000 interventions converts each stored figure of each line three times or more (precompute,
INSERT, cache). ``fields.Float`` rounds with ``float_round`` (some microseconds) and ``fields.Json`` copies
through ``json.loads(json.dumps(...))`` and ``copy.deepcopy`` (ten). The values the addon computes are already
rounded figures and flat dicts of scalars: for them these classes return what the parent classes would return,
without the work. Any other value goes through the parent class unchanged. Column types and stored values are
those of the parent classes.
"""

from odoo import fields

SCALARS = frozenset((str, int, float, bool, type(None)))
LIMIT = 1e9  # RoundedFloat's fast path: hours, far below; float_round agrees up to there


class FlatJson(fields.Json):
    """``fields.Json`` for flat dicts (text keys, scalar values, as ``rules.count_terms`` builds): a shallow
    copy is a full copy, and the JSON round trip changes nothing."""

    def convert_to_record(self, value, record):
        if type(value) is dict and _is_flat(value):
            return dict(value)
        return super().convert_to_record(value, record)

    def convert_to_cache(self, value, record, validate=True):
        if value and type(value) is dict and _is_flat(value):
            return dict(value)
        return super().convert_to_cache(value, record, validate=validate)


def _is_flat(value):
    return all(type(key) is str for key in value) and SCALARS.issuperset(map(type, value.values()))


class RoundedFloat(fields.Float):
    """``fields.Float`` with fixed ``digits=(precision, scale)``: a float that ``round(value, scale)`` leaves
    unchanged is the double nearest to a decimal of ``scale`` places, which ``float_round`` returns unchanged
    too, below ``LIMIT`` (``tests/test_fast_fields.py`` compares both on random values)."""

    def _rounded(self, value):
        # zero, anything else than a float and huge values: the parent class (float_round returns zero at once;
        # past some 10^12 its epsilon adds a cent to integers, which hypothesis found)
        return (
            type(value) is float
            and 0 < abs(value) < LIMIT
            and type(self._digits) is tuple
            and round(value, self._digits[1]) == value
        )

    def convert_to_cache(self, value, record, validate=True):
        if self._rounded(value):
            return value
        return super().convert_to_cache(value, record, validate=validate)

    def convert_to_column(self, value, record, values=None, validate=True):
        if self._rounded(value) and not self.company_dependent:
            return f"{value:.{self._digits[1]}f}"  # what float_repr returns
        return super().convert_to_column(value, record, values=values, validate=validate)
