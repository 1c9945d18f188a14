"""Product files in and out: CSV (comma or semicolon, UTF-8) and spreadsheets (.xlsx).

Reading checks every row and says, per row and column, what is wrong; nothing here writes
to the database. The same columns are written by export, so an exported file imports back
unchanged."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _
from djmoney.money import Money

from .models import Category, Label, Product

COLUMNS = [
    "sku",
    "title",
    "price",
    "vat_rate",
    "unit",
    "stock_quantity",
    "always_available",
    "quantity_step",
    "weight_kg",
    "volume_litres",
    "category",
    "labels",
    "is_active",
    "description",
]
REQUIRED = ["sku", "title", "price"]
MAX_ROWS = 50_000
TRUE = {"1", "true", "yes", "y", "ja", "x"}
FALSE = {"0", "false", "no", "n", "nein", ""}


class FileRefused(ValueError):
    """The whole file cannot be read; `message` says why."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class ParsedRow:
    row: int
    sku: str
    values: dict  # model field → value, only for the columns the file has
    labels: list[str] | None = None


@dataclass
class ParsedFile:
    columns: list[str]
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_table(upload, filename: str) -> list[list[str]]:
    """Rows of cells as text. Raises FileRefused for files we cannot read."""
    name = filename.lower()
    data = upload.read()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if not name.endswith((".csv", ".txt")):
        raise FileRefused(_("Upload a .csv or .xlsx file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
        ) from None
    if "\x00" in text:
        raise FileRefused(_("This is not a CSV text file."))
    sample = text[:5000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook gets the same answer
        raise FileRefused(_("This spreadsheet cannot be opened. Save it as .xlsx again.")) from None
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        cells = ["" if v is None else _cell_text(v) for v in values]
        if any(c.strip() for c in cells):
            rows.append(cells)
    workbook.close()
    return rows


def _cell_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decimal(text: str) -> Decimal:
    cleaned = text.strip().replace(" ", "").replace("€", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    value = Decimal(cleaned)
    if not value.is_finite():
        raise InvalidOperation
    return value


def parse(table: list[list[str]]) -> ParsedFile:
    """Check the header and every row; collect every problem rather than stop at the first."""
    if not table:
        raise FileRefused(_("The file is empty."))
    header = [cell.strip().lower() for cell in table[0]]
    unknown = [c for c in header if c and c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileRefused(
            _("Columns missing: %(missing)s. The first row must name the columns, e.g. %(cols)s.")
            % {"missing": ", ".join(missing), "cols": ", ".join(COLUMNS)}
        )
    if unknown:
        raise FileRefused(
            _("Unknown columns: %(unknown)s. Known columns: %(cols)s.")
            % {"unknown": ", ".join(unknown), "cols": ", ".join(COLUMNS)}
        )
    if len(table) - 1 > MAX_ROWS:
        raise FileRefused(_("At most %(max)s rows per file.") % {"max": MAX_ROWS})
    categories = dict(Category.objects.values_list("path", "pk"))
    known_labels = set(Label.objects.values_list("slug", flat=True))
    units = {value for value, _label in Product.Unit.choices}
    parsed = ParsedFile(columns=header)
    seen: dict[str, int] = {}
    for offset, cells in enumerate(table[1:], start=2):
        cells = cells + [""] * (len(header) - len(cells))
        raw = {name: cells[i].strip() for i, name in enumerate(header) if name}
        values, errors = {}, []

        def bad(column, message, offset=offset, errors=errors):
            errors.append(RowError(offset, column, message))

        sku = raw.get("sku", "")
        if not sku:
            bad("sku", _("Every row needs a SKU."))
        elif len(sku) > 64:
            bad("sku", _("At most 64 characters."))
        elif sku in seen:
            bad("sku", _("The same SKU is also in row %(row)s.") % {"row": seen[sku]})
        else:
            seen[sku] = offset
        title = raw.get("title", "")
        if not title:
            bad("title", _("Every row needs a title."))
        elif len(title) > 200:
            bad("title", _("At most 200 characters."))
        values["title"] = title
        try:
            price = _decimal(raw.get("price", ""))
            if price < 0 or price >= Decimal("100000000"):
                raise InvalidOperation
            values["price"] = Money(price.quantize(Decimal("0.01")), settings.DEFAULT_CURRENCY)
            if price != price.quantize(Decimal("0.01")):
                bad("price", _("At most two decimal places."))
        except (InvalidOperation, ValueError):
            bad("price", _("“%(value)s” is not a price.") % {"value": raw.get("price", "")})
        for name, low, high in (
            ("vat_rate", 0, 100),
            ("stock_quantity", 0, 10**7),
            ("quantity_step", Decimal("0.001"), 1000),
            ("weight_kg", 0, 9999),
            ("volume_litres", 0, 9999),
        ):
            if name in raw and raw[name] != "":
                try:
                    number = _decimal(raw[name])
                    if not low <= number <= high:
                        raise InvalidOperation
                    values[name] = number
                except (InvalidOperation, ValueError):
                    bad(
                        name,
                        _("“%(value)s” is not a number from %(low)s to %(high)s.")
                        % {"value": raw[name], "low": low, "high": high},
                    )
            elif name in ("quantity_step", "weight_kg", "volume_litres") and name in raw:
                values[name] = None
        if "unit" in raw and raw["unit"] != "":
            if raw["unit"] not in units:
                bad(
                    "unit",
                    _("Unit must be one of %(units)s.") % {"units": ", ".join(sorted(units))},
                )
            else:
                values["unit"] = raw["unit"]
        for name in ("always_available", "is_active"):
            if name in raw:
                text = raw[name].lower()
                if text in TRUE:
                    values[name] = True
                elif text in FALSE:
                    values[name] = False
                else:
                    bad(name, _("Write yes or no."))
        if "category" in raw:
            if raw["category"] == "":
                values["category_id"] = None
            elif raw["category"] in categories:
                values["category_id"] = categories[raw["category"]]
            else:
                bad("category", _("No category “%(path)s”.") % {"path": raw["category"]})
        labels = None
        if "labels" in raw:
            labels = sorted({s.strip() for s in raw["labels"].split(",") if s.strip()})
            unknown_labels = [s for s in labels if s not in known_labels]
            if unknown_labels:
                bad(
                    "labels",
                    _("Unknown labels: %(labels)s.") % {"labels": ", ".join(unknown_labels)},
                )
        if "description" in raw:
            values["description"] = raw["description"]
        parsed.errors.extend(errors)
        if not errors:
            parsed.rows.append(ParsedRow(row=offset, sku=sku, values=values, labels=labels))
    return parsed


def export_rows(products) -> list[list[str]]:
    """The shop's products in import columns, header first."""
    rows = [COLUMNS]
    for product in products:
        rows.append(
            [
                product.sku,
                product.title,
                f"{product.price.amount:.2f}",
                _plain(product.vat_rate),
                product.unit,
                _plain(product.stock_quantity),
                "yes" if product.always_available else "no",
                _plain(product.quantity_step) if product.quantity_step else "",
                _plain(product.weight_kg) if product.weight_kg is not None else "",
                _plain(product.volume_litres) if product.volume_litres is not None else "",
                product.category.path if product.category_id else "",
                ",".join(sorted(label.slug for label in product.labels.all())),
                "yes" if product.is_active else "no",
                product.description,
            ]
        )
    return rows


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def write_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
