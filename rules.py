"""Temporary: replaced by the rules module being written."""
from dateutil.relativedelta import relativedelta


def add_months(d, months):
    return d + relativedelta(months=months)
