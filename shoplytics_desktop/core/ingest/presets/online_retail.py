"""Invoice / order-line CSVs: the classic online-retail shape (UCI "Online Retail" and
"Online Retail II": ``InvoiceNo``/``Invoice``, ``StockCode``, ``Description``, ``Quantity``,
``InvoiceDate``, ``UnitPrice``/``Price``, ``CustomerID``/``Customer ID``, ``Country``).

Every row is a purchase line of its invoice; an invoice number starting with ``C`` is a
cancellation whose quantities are negative: those lines become refunds of that many units
(never rejected, never revenue). A line without a customer gets an anonymous user of its own
invoice (``guest:536414``). Dates are month/day/year with two- or four-digit years
(``12/1/10 8:26``, ``12/1/2010 8:26``; two-digit years are 20xx), day/month/year where a date
has a first number above 12 (the import checks every row when the sample shows none), or ISO
text (``2009-12-01 07:45:00``, Online Retail II's CSV). Countries are names (``EIRE``,
``RSA``, ``Channel Islands``); those without an ISO code become ``XX``.
"""

from __future__ import annotations

import re

from shoplytics_desktop.core.ingest.detect import SourceInfo
from shoplytics_desktop.core.ingest.mapping import Defaults, Mapping
from shoplytics_desktop.core.ingest.presets.common import find, samples, source_options

NAME = "online_retail"
TITLE = "Invoice lines (online-retail CSV)"

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?: \d{1,2}:\d{2}(:\d{2})?)?$")


def recognize(info: SourceInfo) -> tuple[float, list[str]]:
    invoice = find(info, "InvoiceNo", "Invoice", "Invoice No", "Invoice Number")
    stock = find(info, "StockCode", "Stock Code")
    qty = find(info, "Quantity")
    price = find(info, "UnitPrice", "Unit Price", "Price")
    date = find(info, "InvoiceDate", "Invoice Date")
    if not (invoice and qty and price and date):
        return 0.2 if invoice else 0.0, ["no invoice number, quantity, unit price and date columns"]
    score = 0.6 + 0.2 * bool(stock) + 0.1 * bool(find(info, "CustomerID", "Customer ID"))
    reasons = [f"columns {', '.join(c for c in (invoice, stock, qty, date, price) if c)}"]
    if any(s.startswith("C") for s in samples(info, invoice)):
        reasons.append("cancelled invoices (C…) in the sample")
        score += 0.05
    dates = samples(info, date)
    if dates and all(_DMY.match(d) for d in dates):
        reasons.append("InvoiceDate written as dates with slashes")
        score += 0.05
    return min(score, 1.0), reasons


def _time_format(info: SourceInfo, date: str) -> str:
    """The invoice dates' format when the sample shows it; otherwise ``auto``, and the import's
    check of every row settles it (ISO text as Online Retail II's CSV writes it; or which of
    day and month comes first, when no sampled date has a first number above 12)."""
    values = samples(info, date)
    matched = [m for m in (_DMY.match(v) for v in values) if m]
    day_first = any(int(m.group(1)) > 12 for m in matched)
    month_first = any(int(m.group(2)) > 12 for m in matched)
    if not matched or day_first == month_first:
        return "auto"
    seconds = any(m.group(4) for m in matched)
    t = " %H:%M:%S" if seconds else " %H:%M"
    # A number above 12 is a day.
    day, month = ("%d", "%m") if day_first else ("%m", "%d")
    d2 = f"{day}/{month}/%y{t}"
    d4 = f"{day}/{month}/%Y{t}"
    # %y first: %Y would read the 10 of 12/1/10 as the year 10.
    return f"{d2} || {d4}"


def plan(info: SourceInfo) -> Mapping:
    invoice = find(info, "InvoiceNo", "Invoice", "Invoice No", "Invoice Number") or "InvoiceNo"
    stock = find(info, "StockCode", "Stock Code")
    date = find(info, "InvoiceDate", "Invoice Date") or "InvoiceDate"
    customer = find(info, "CustomerID", "Customer ID", "Customer")
    description = find(info, "Description")
    user = ([customer] if customer else []) + [f"concat('guest:', \"{invoice}\")"]
    columns: dict[str, str | list[str] | None] = {
        "event_time": date,
        "user_id": user,
        "order_id": invoice,
        "product_id": stock,
        "price": find(info, "UnitPrice", "Unit Price", "Price"),
        "quantity": find(info, "Quantity"),
        "country": find(info, "Country"),
        "currency": find(info, "Currency"),
    }
    return Mapping(
        source=source_options(info),
        columns={k: v for k, v in columns.items() if v},  # type: ignore[misc]
        time_format=_time_format(info, date),
        defaults=Defaults(event_name="purchase"),
        keep_unmapped=False,
        event_key=[invoice] + ([stock] if stock else []),
        properties_fields={"description": description} if description else {},
        country_names=True,
        negative_quantity="refund",
    )
