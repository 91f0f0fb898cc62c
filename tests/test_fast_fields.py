"""The figures' field classes (``fast_fields``) give what Odoo's own ``fields.Float`` and ``fields.Json`` give,
for any value: checked by hypothesis against the parent classes' methods on the same field."""

import json

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from odoo import fields
from odoo.tests.common import TransactionCase
from odoo.tests.common import tagged

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)

# decimals of 0 to 4 places (the ties of a third place among them), raw doubles, huge and tiny values
decimals = st.builds(lambda n, places: n / 10**places, st.integers(-(10**9), 10**9), st.integers(0, 4))
doubles = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e13, max_value=1e13)
numbers = st.one_of(decimals, doubles, st.integers(-1000, 1000), st.sampled_from([0.0, -0.0, 0.125, 2.675, 1.005]))

scalars = st.one_of(st.text(max_size=8), st.integers(), doubles, st.booleans(), st.none())
flat = st.dictionaries(st.text(max_size=8), scalars, max_size=6)
nested = st.dictionaries(
    st.text(max_size=8), st.one_of(scalars, st.lists(scalars, max_size=3), flat, st.tuples(scalars)), max_size=6
)


@tagged("post_install", "-at_install")
class TestFastFields(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Line = cls.env["account.analytic.line"]
        cls.line = Line.browse()
        # fields are descriptors: kept in a dict, not as attributes of the test case
        cls.field = {name: Line._fields[name] for name in ("itsm_credit_hours", "itsm_count_terms")}

    @PROPERTY
    @given(numbers)
    def test_rounded_float_converts_as_float(self, value):
        hours = self.field["itsm_credit_hours"]
        for convert in ("convert_to_cache", "convert_to_column"):
            ours = getattr(hours, convert)(value, self.line)
            odoo = getattr(fields.Float, convert)(hours, value, self.line)
            self.assertEqual((type(ours), ours), (type(odoo), odoo), f"{convert}({value!r})")
        # a figure whose cache value is -0.0 would be written "-0.00"
        self.assertNotEqual(repr(hours.convert_to_cache(-0.0, self.line)), "-0.0")

    @PROPERTY
    @given(st.one_of(flat, nested, st.none(), st.just(False), st.just({})))
    def test_flat_json_converts_as_json(self, value):
        terms = self.field["itsm_count_terms"]
        ours = terms.convert_to_cache(value, self.line)
        odoo = fields.Json.convert_to_cache(terms, value, self.line)
        self.assertEqual(ours, odoo)
        self.assertEqual(json.dumps(ours, sort_keys=True), json.dumps(odoo, sort_keys=True))
        if ours:
            self.assertIsNot(ours, value, "the cache holds its own copy")
            read = terms.convert_to_record(ours, self.line)
            self.assertEqual(read, fields.Json.convert_to_record(terms, ours, self.line))
            self.assertIsNot(read, ours, "a reader gets its own copy")
