"""The statement as a PDF: the page's content, with Noto Sans embedded (it has ₼), a verification
code and a QR code that opens the verification page.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

import qrcode
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import StrokeCapStyle, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from waterbill.calendar import BAKU
from waterbill.documents.domain import display_code
from waterbill.i18n.catalogs import translations
from waterbill.i18n.marker import _
from waterbill.presentation.chart import FONT_SIZE as CHART_FONT_SIZE
from waterbill.presentation.chart import HEIGHT as CHART_HEIGHT
from waterbill.presentation.chart import WIDTH as CHART_WIDTH
from waterbill.presentation.chart import Box, Chart, Dot, Label, Rule, Trace, chart_list
from waterbill.presentation.view import StatementView

FONTS = Path(__file__).parent / "fonts"
# Noto Sans cut to Latin, Greek, Cyrillic, punctuation and the currency signs (₼), without hinting
# or the layout tables fpdf2 drops from the embedded subset anyway (how: fonts/OFL.txt).
FONT_FILES = {"": FONTS / "NotoSans-Regular.ttf", "B": FONTS / "NotoSans-Bold.ttf"}
FAMILY = "NotoSans"
INK = (29, 42, 51)
MUTED = (61, 75, 85)
PRIMARY = (10, 92, 122)
TINT = (234, 242, 246)
WARNING = (138, 74, 0)


TEXTS = {
    "provider": _("Azərsu OJSC · water supply and wastewater"),
    "issued": _("Issued %(moment)s (Baku time)"),
    "page": _("Page %(page)s of %(pages)s"),
    "explanations": _("Why the amounts changed"),
}


class _Document(FPDF):
    footer_text = ""
    page_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        page = self.page_text % dict(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, page, align="R")


def render_pdf(view: StatementView, *, code: str, verify_url: str, issued_at: datetime) -> bytes:
    """A4, one or two pages; ``verify_url`` is the full address of ``/verify/{code}``."""
    gettext = translations(view.locale).gettext
    labels = view.labels
    pdf = new_document(
        locale=view.locale,
        title=labels["title"],
        subject=view.code,
        code=code,
        issued_at=issued_at,
    )
    verification_block(pdf, code=code, verify_url=verify_url, label=labels["verification_code"])
    detail_rows(pdf, view.header_items)
    muted_note(pdf, f"{labels['verify_hint']} {verify_url}")
    if view.masked:
        pdf.set_font(FAMILY, size=9)
        pdf.set_text_color(*WARNING)
        text_block(pdf, 0, 5, labels["masked"])
        pdf.set_text_color(*INK)
    pdf.ln(3)
    if view.masked:  # the amount due alone (``mask_statement``)
        _balances(pdf, view)
        return bytes(pdf.output())
    _months(pdf, view)
    _balances(pdf, view)
    _explanations(pdf, view, gettext(TEXTS["explanations"]))
    _charts(pdf, view)
    return bytes(pdf.output())


def text_block(pdf: FPDF, width: float, height: float, text: str) -> None:
    """``multi_cell(width, height, text)``, then on to the next line at the left margin.

    A text that fits on one line goes out as the one-line cell multi_cell would make of it:
    fpdf2's line breaking measures the whole line again for every character it adds, which made
    the wrapped texts a seventh of the PDF's CPU (issue 21).
    """
    # multi_cell writes a no-break space as a plain space; a one-line cell writes what it is given.
    line = text.replace("\xa0", " ")
    room = (width or pdf.w - pdf.r_margin - pdf.get_x()) - 2 * pdf.c_margin
    if "\n" not in line and pdf.get_string_width(line) <= room:
        pdf.cell(width, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(width, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def muted_note(pdf: FPDF, text: str) -> None:
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(*MUTED)
    text_block(pdf, 0, 4.5, text)
    pdf.set_text_color(*INK)


def detail_rows(pdf: FPDF, items: Iterable[tuple[str, str]]) -> None:
    """Label and value, one pair a line, beside the QR code."""
    for label, value in items:
        pdf.set_font(FAMILY, size=9)
        pdf.set_text_color(*MUTED)
        pdf.cell(48, 5.5, label)
        pdf.set_font(FAMILY, "B", 9)
        pdf.set_text_color(*INK)
        text_block(pdf, 90, 5.5, value)


def new_document(*, locale: str, title: str, subject: str, code: str, issued_at: datetime) -> FPDF:
    """An A4 document of Azərsu with its first page begun: the provider's name and ``title``,
    and on every page a footer with the moment of issue in Baku and the verification code."""
    gettext = translations(locale).gettext
    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    pdf.set_lang(locale)
    pdf.set_title(f"{title} · {subject}")
    pdf.set_author("Azərsu")
    pdf.set_creator("waterbill")
    pdf.set_creation_date(issued_at)
    _add_fonts(pdf)
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    baku_moment = issued_at.astimezone(BAKU).strftime("%Y-%m-%d %H:%M")
    pdf.footer_text = (
        f"{gettext(TEXTS['issued']) % dict(moment=baku_moment)} · {display_code(code)}"
    )
    pdf.page_text = gettext(TEXTS["page"])
    pdf.add_page()

    pdf.set_text_color(*PRIMARY)
    pdf.set_font(FAMILY, "B", 9)
    pdf.cell(0, 5, gettext(TEXTS["provider"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, "B", 16)
    text_block(pdf, 0, 8, title)
    pdf.ln(2)
    return pdf


class _Widths(dict[int, float]):
    """Advance widths by code point; a character the font lacks reads as the missing width
    without being stored, so the widths shared by every document of the process stay as read."""

    def __init__(self, widths: dict[int, float], missing: float) -> None:
        super().__init__(widths)
        self.missing = missing

    def __missing__(self, key: int) -> float:
        return self.missing


@cache
def _parsed_font(style: str) -> TTFFont:
    """The font as fpdf2 reads it (cmap, widths, glyph ids), once per process: reading it took a
    third of a statement PDF's CPU (issue 21)."""
    reader = FPDF()
    reader.add_font(FAMILY, style, str(FONT_FILES[style]))
    font = reader.fonts[f"{FAMILY.lower()}{style}"]
    assert isinstance(font, TTFFont)
    font.cw = _Widths(font.cw, font.desc.missing_width)
    return font


@cache
def _font_bytes(style: str) -> bytes:
    return FONT_FILES[style].read_bytes()


def _add_fonts(pdf: FPDF) -> None:
    """``add_font`` for both styles, from the fonts read once.

    The tables read (widths, cmap, glyph ids) are shared; what a document writes is its own: the
    record of the characters used, the font descriptor (the PDF's output numbers it and links the
    embedded file to it, so documents rendered in parallel threads must not share it) and the
    fontTools object, which embedding cuts down to those characters in place. fpdf2's own copy
    (``TTFFont.__deepcopy__``) copied the widths and glyph ids on every document, 2 ms a PDF
    (issue 21).
    """
    for style in FONT_FILES:
        parsed = _parsed_font(style)
        font = copy.copy(parsed)
        font.i = len(pdf.fonts) + 1
        font.desc = copy.copy(parsed.desc)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        # The glyphs keep their bounding boxes as read: recomputing them made fontTools decode and
        # re-encode every embedded outline, a sixth of the PDF's CPU (issue 21).
        font.ttfont = TTFont(
            BytesIO(_font_bytes(style)), recalcTimestamp=False, recalcBBoxes=False, lazy=True
        )
        pdf.fonts[font.fontkey] = font


def verification_block(pdf: FPDF, *, code: str, verify_url: str, label: str) -> None:
    """The QR code and the code itself, at the top right, beside the subscriber's details."""
    size = 32
    x = pdf.w - pdf.r_margin - size
    y = pdf.get_y()
    image = qrcode.make(verify_url, box_size=4, border=1).get_image()
    pdf.image(image, x=x, y=y, w=size, h=size, alt_text=label)
    pdf.set_xy(x - 20, y + size + 1)
    pdf.set_font(FAMILY, size=7)
    pdf.set_text_color(*MUTED)
    pdf.cell(size + 20, 4, label, align="R")
    pdf.set_xy(x - 20, y + size + 5)
    pdf.set_font(FAMILY, "B", 9)
    pdf.set_text_color(*INK)
    pdf.cell(size + 20, 5, display_code(code), align="R")
    pdf.set_xy(pdf.l_margin, y)


MONTH_COLUMNS = (30, 24, 28, 30, 30, 38)
MONTH_ALIGN = ("L", "R", "R", "R", "R", "R")
MONTH_LINE = 5.5


def _months(pdf: FPDF, view: StatementView) -> None:
    """The months as a table of single-line cells: every value fits its column, and fpdf2's table
    (each cell a wrapping text box) cost a quarter of the PDF's CPU (issue 21)."""
    labels = view.labels
    pdf.set_draw_color(201, 211, 217)
    pdf.set_fill_color(*PRIMARY)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FAMILY, "B", 8.5)
    heading = (
        labels["month"],
        labels["water_m3"],
        labels["wastewater_m3"],
        labels["invoiced"],
        labels["paid"],
        labels["balance"],
    )
    _month_row(pdf, heading, fill=True)
    pdf.set_text_color(*INK)
    pdf.set_fill_color(*TINT)
    pdf.set_font(FAMILY, size=8.5)
    for number, row in enumerate(view.rows):
        values = (row.label, row.water_m3, row.wastewater_m3, row.invoiced, row.paid, row.balance)
        _month_row(pdf, values, fill=number % 2 == 1)
    pdf.set_font(FAMILY, "B", 8.5)
    total = (
        labels["total"],
        view.total_water_m3,
        view.total_wastewater_m3,
        view.total_invoiced,
        view.total_paid,
        "",
    )
    _month_row(pdf, total, fill=len(view.rows) % 2 == 1)


def _month_row(pdf: FPDF, values: tuple[str, ...], *, fill: bool) -> None:
    for width, align, value in zip(MONTH_COLUMNS, MONTH_ALIGN, values, strict=True):
        # A one-line cell never breaks, so a no-break space is written as the plain space that
        # fpdf2's wrapping cells write for it (and a reader copies).
        text = value.replace("\xa0", " ")
        pdf.cell(width, MONTH_LINE, text, border=1, align=align, fill=fill)
    pdf.ln(MONTH_LINE)


def _balances(pdf: FPDF, view: StatementView) -> None:
    labels = view.labels
    pdf.ln(3)
    for label, value in view.balance_items:
        pdf.set_font(FAMILY, size=9)
        pdf.cell(60, 5.5, label)
        pdf.set_font(FAMILY, "B", 9)
        pdf.cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(*MUTED)
    text_block(pdf, 0, 4.5, labels["balance_explained"])
    pdf.set_text_color(*INK)


def _explanations(pdf: FPDF, view: StatementView, heading: str) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 7, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for row in view.rows:
        if not row.billed:
            continue
        pdf.set_font(FAMILY, "B", 8.5)
        pdf.cell(30, 4.8, row.label)
        pdf.set_font(FAMILY, size=8.5)
        sentences = [sentence.text for sentence in row.notes]
        if row.possible_leak:
            pdf.set_text_color(*WARNING)
        text_block(pdf, 0, 4.8, " ".join(sentences))
        pdf.set_text_color(*INK)
        pdf.ln(0.8)


def _charts(pdf: FPDF, view: StatementView) -> None:
    """The page's three charts, drawn as vectors from the same shapes as the page's SVG."""
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 11)
    text_block(pdf, 0, 6, view.labels["charts"])
    width = pdf.w - pdf.l_margin - pdf.r_margin
    height = width * CHART_HEIGHT / CHART_WIDTH
    for chart in chart_list(view):
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 9.5)
        pdf.cell(0, 6, chart.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if pdf.will_page_break(height):
            pdf.add_page()
        top = pdf.get_y()
        _draw_chart(pdf, chart, left=pdf.l_margin, top=top, scale=width / CHART_WIDTH)
        pdf.set_y(top + height + 1)


def _draw_chart(pdf: FPDF, chart: Chart, *, left: float, top: float, scale: float) -> None:
    """``chart``'s shapes with the top left corner of its viewBox at (``left``, ``top``), ``scale``
    millimetres to a unit, as fpdf2 drew the SVG: strokes with butt ends, and a label's baseline
    on its y (fpdf2 has no ``dominant-baseline``)."""

    def x(value: Decimal) -> float:
        return left + float(value) * scale

    def y(value: Decimal) -> float:
        return top + float(value) * scale

    # A figure with the chart's title as its alternative text, as ``FPDF.image`` marks an image:
    # fpdf2 offers the marking through its images only.
    with (
        pdf._marked_sequence(alt_text=chart.title),
        pdf.local_context(stroke_cap_style=StrokeCapStyle.BUTT),
    ):
        pdf.set_font(FAMILY, size=CHART_FONT_SIZE * scale * pdf.k)
        for shape in chart.shapes:
            match shape:
                case Box(left_edge, top_edge, box_width, box_height, colour):
                    pdf.set_fill_color(colour)
                    box = (float(box_width) * scale, float(box_height) * scale)
                    pdf.rect(x(left_edge), y(top_edge), *box, style="F")
                case Rule(x1, x2, y1, y2, colour, line_width):
                    pdf.set_draw_color(colour)
                    pdf.set_line_width(float(line_width) * scale)
                    pdf.line(x(x1), y(y1), x(x2), y(y2))
                case Trace(points, colour, line_width):
                    pdf.set_draw_color(colour)
                    pdf.set_line_width(float(line_width) * scale)
                    pdf.polyline([(x(px), y(py)) for px, py in points], style="D")
                case Dot(cx, cy, radius, colour):
                    pdf.set_fill_color(colour)
                    pdf.circle(x(cx), y(cy), float(radius) * scale, style="F")
                case Label(lx, ly, text, colour, anchor):
                    # A no-break space as the plain space fpdf2's SVG text wrote for it.
                    text = text.replace("\xa0", " ")
                    pdf.set_text_color(colour)
                    shift = {"start": 0, "middle": 0.5, "end": 1}[anchor]
                    pdf.text(x(lx) - shift * pdf.get_string_width(text), y(ly), text)
