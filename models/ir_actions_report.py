import functools
import io
import re
import subprocess

from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup
from reportlab.pdfbase import pdfmetrics

from odoo import models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin
from odoo.exceptions import UserError
from odoo.tools import html2plaintext
from odoo.tools.pdf import ArrayObject
from odoo.tools.pdf import DecodedStreamObject
from odoo.tools.pdf import DictionaryObject
from odoo.tools.pdf import NameObject
from odoo.tools.pdf import PdfFileReader
from odoo.tools.pdf import PdfFileWriter

MODULE_PREFIX = "itsm_service_contract."
# Page margins (mm) of the addon's reports when wkhtmltopdf draws no header and footer.
PLAIN_MARGIN_TOP = 12
PLAIN_MARGIN_BOTTOM = 16
# What one request may hand wkhtmltopdf for one of the addon's reports (bytes of HTML), unless the system
# parameter itsm_service_contract.pdf_html_budget says otherwise. Rendering time grows with it (a month of 2 000
# statement lines renders in seconds, see docs/performance.rst); past it the request is refused with a message
# instead of keeping a worker and a wkhtmltopdf busy until Odoo's time limit.
PDF_HTML_BUDGET = 32 * 1024 * 1024
# What the addon's PDFs print of one free text, whoever typed it and however long it is (characters): a block
# (description, diagnosis, minutes...) and a table cell or a heading (a subject, a line's work done...). A ticket
# described with 4 MB kept wkhtmltopdf busy 53 s; cut there, every PDF a client can ask for renders in seconds.
REPORT_BLOCK_LIMIT = 16000
REPORT_CELL_LIMIT = 500


# wkhtmltopdf's line breaking (``word-wrap: break-word``, as Bootstrap sets it) is quadratic in the length of a
# word: 8 000 characters without a space take 10 s, 16 000 over a minute. A break opportunity (a zero-width
# space, invisible) every WORD_LIMIT characters of a longer word keeps it linear.
WORD_LIMIT = 60
_LONG_WORD = re.compile(rf"(\S{{{WORD_LIMIT}}})(?=\S)")
_LONG_WORD_HTML = re.compile(rf"[^\s<>]{{{WORD_LIMIT * 4}}}")


def _breakable(text):
    return _LONG_WORD.sub("\\1\u200b", text)


def report_cut(value, limit=REPORT_CELL_LIMIT):
    """``value`` (a text, or nothing) as a cell of the addon's PDFs prints it: ``limit`` characters at most, then …"""
    text = value if isinstance(value, str) else ("" if value is None or value is False else str(value))
    if isinstance(text, Markup):
        text = html2plaintext(text[: limit * 4])
    return _breakable(text if len(text) <= limit else text[:limit].rstrip() + "…")


def report_clip(value, limit=REPORT_BLOCK_LIMIT):
    """``(what to print, length of the whole text or 0 when printed whole, plain)`` of a block of free text.

    HTML within ``limit`` characters prints as it is, unless it holds a very long word; longer, the plain text of
    its beginning prints (only that beginning is converted: converting 4 MB of HTML takes seconds), cut at
    ``limit`` characters, and the template says it is cut. ``plain``: a text whose line breaks the block keeps
    (``white-space: pre-wrap``). A long word of a plain text gets break opportunities (see ``WORD_LIMIT``).
    """
    if not value:
        return "", 0, False
    total = len(value)
    if isinstance(value, Markup):
        if total <= limit and not _LONG_WORD_HTML.search(value):
            return value, 0, False
        value = html2plaintext(value[: limit * 4])
    text = str(value)
    if total <= limit:
        return _breakable(text), 0, True
    return _breakable(text[:limit]), total, True


@functools.cache
def wkhtmltopdf_draws_headers():
    """True when wkhtmltopdf is built with the patched Qt, the only build that draws HTML headers and footers.

    Debian's package is not: it prints the body alone, without the letterhead, the footer and the page numbers.
    """
    try:
        out = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # no wkhtmltopdf: Odoo reports that itself
    return "patched qt" in out.lower()


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _itsm_needs_plain_layout(self, report_ref=None):
        report = self._get_report(report_ref) if report_ref else self
        return (
            len(report) == 1
            and report.report_type in ("qweb-pdf", "qweb-html")  # an HTML report printed (the dashboard)
            and (report.report_name or "").startswith(MODULE_PREFIX)
            and not wkhtmltopdf_draws_headers()
        )

    def _get_rendering_context(self, report, docids, data):
        data = super()._get_rendering_context(report, docids, data)
        if (report.report_name or "").startswith(MODULE_PREFIX):
            data.update(itsm_cut=report_cut, itsm_clip=report_clip)
        return data

    def _itsm_pdf_budget(self):
        """Bytes of HTML one request may hand wkhtmltopdf for one of the addon's reports."""
        value = self.env["ir.config_parameter"].sudo().get_param("itsm_service_contract.pdf_html_budget")
        try:
            return int(value) if value else PDF_HTML_BUDGET
        except ValueError:
            return PDF_HTML_BUDGET

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        # the content budget applies to what a PDF request renders (see _render_qweb_html)
        return super(IrActionsReport, self.with_context(itsm_pdf_request=True))._render_qweb_pdf(
            report_ref, res_ids=res_ids, data=data
        )

    def _render_qweb_html(self, report_ref, docids, data=None):
        """Refuse, with a message, a PDF of the addon whose content is beyond what one request may render.

        Checked on the HTML the PDF is made of, before wkhtmltopdf runs: a worker and a wkhtmltopdf are not
        kept busy until Odoo's time limit on a document nobody can read at once.
        """
        html, kind = super()._render_qweb_html(report_ref, docids, data=data)
        if self.env.context.get("itsm_pdf_request"):
            report = self._get_report(report_ref)
            budget = self._itsm_pdf_budget()
            if (report.report_name or "").startswith(MODULE_PREFIX) and len(html) > budget:
                raise UserError(
                    self.env._(
                        "%(report)s is too large to print at once (%(size).1f MB of content, the limit is "
                        "%(budget).1f MB): print a shorter period or fewer documents at a time.",
                        report=report.name,
                        size=len(html) / 1048576,
                        budget=budget / 1048576,
                    )
                )
        return html, kind

    def _prepare_html(self, html, report_model=False):
        """Without the patched wkhtmltopdf, put the letterhead at the top of each document's first page.

        The footer (company details and page numbers) is stamped onto the PDF afterwards, see
        :meth:`_render_qweb_pdf_prepare_streams`; the page margins shrink to what that leaves.
        """
        if not self._itsm_needs_plain_layout():
            return super()._prepare_html(html, report_model=report_model)
        root = lxml_html.fromstring(html, parser=lxml_html.HTMLParser(encoding="utf-8"))
        match_klass = "//div[contains(concat(' ', normalize-space(@class), ' '), ' {} ')]"
        for header in root.xpath(match_klass.format("header")):
            article = header.getnext()
            while article is not None and "article" not in (article.get("class") or "").split():
                article = article.getnext()
            header.getparent().remove(header)
            if article is not None:
                header.set("class", (header.get("class") or "").replace("header", "itsm-letterhead"))
                header.set("style", "margin-bottom: 6mm;")
                article.insert(0, header)
        for footer in root.xpath(match_klass.format("footer")):
            footer.getparent().remove(footer)
        root.set("data-report-margin-top", str(PLAIN_MARGIN_TOP))
        root.set("data-report-margin-bottom", str(PLAIN_MARGIN_BOTTOM))
        root.set("data-report-header-spacing", "0")
        return super()._prepare_html(etree.tostring(root, encoding="unicode", method="html"), report_model)

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        if not self._itsm_needs_plain_layout(report_ref) or not res_ids:
            return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
        report = self._get_report(report_ref)
        streams = {}
        # One document at a time, so that each one is numbered from its own first page.
        for res_id in res_ids:
            if res_id in streams:
                continue
            stream_data = super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=[res_id])[res_id]
            if stream_data["stream"] and not stream_data["attachment"]:
                record = self.env[report.model].browse(res_id)
                stream_data["stream"] = self._itsm_stamp_footer(stream_data["stream"], record)
            streams[res_id] = stream_data
        return streams

    def _itsm_stamp_footer(self, stream, record):
        """Draw the company line and "Page x / y" at the bottom of every page of ``stream``.

        The stamp is a small content stream of its own appended to each page, with Helvetica (a base-14 font,
        nothing embedded) added to the page's fonts: the page's own content is never decoded. Merging an
        overlay page instead (``mergePage``) parses every operator of the page in pure Python, 4 s a page of
        a 2 000-line statement, minutes for the document.
        """
        partner = record.partner_id if "partner_id" in record._fields else record.env["res.partner"]
        company = record.company_id if "company_id" in record._fields and record.company_id else self.env.company
        lang = partner.lang or self.env.lang
        env = self.with_context(lang=lang).env
        details = " - ".join(part for part in (company.name, company.phone, company.email, company.website) if part)
        reader = PdfFileReader(stream, strict=False, overwriteWarnings=False)
        writer = PdfFileWriter()
        add_object = getattr(writer, "_add_object", None) or writer._addObject
        font = add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/Helvetica"),
                    NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                }
            )
        )

        def content(data):
            stream = DecodedStreamObject()
            setter = getattr(stream, "set_data", None) or stream.setData
            setter(data)
            return add_object(stream)

        save, restore = content(b"q\n"), content(b"Q\n")
        pages = reader.getNumPages()
        for index in range(pages):
            page = reader.getPage(index)
            width = float(abs(page.mediaBox.getWidth()))
            label = env._("Page %(page)s / %(pages)s", page=index + 1, pages=pages)
            stamp = stamp_operators(details[:140], label, width)
            raw = dict.get(page, "/Contents")  # the reference itself, not the stream it points to
            resolved = _resolve(raw)
            if isinstance(resolved, ArrayObject):
                original = list(resolved)
            else:
                original = [raw] if raw is not None else []
            # the page's own drawing between q / Q: whatever graphics state it leaves, the stamp starts clean
            page[NameObject("/Contents")] = ArrayObject([save, *original, restore, content(stamp)])
            resources = _resolve(page["/Resources"]) if "/Resources" in page else DictionaryObject()
            fonts = _resolve(resources["/Font"]) if "/Font" in resources else DictionaryObject()
            fonts[NameObject(STAMP_FONT)] = font
            resources[NameObject("/Font")] = fonts
            page[NameObject("/Resources")] = resources
            writer.addPage(page)
        output = io.BytesIO()
        writer.write(output)
        return output


STAMP_FONT = "/ItsmStampHelv"


def _resolve(obj):
    """The object an indirect reference points to (PyPDF2 1.x: getObject; 2.x and pypdf: get_object)."""
    if obj is None:
        return None
    getter = getattr(obj, "get_object", None) or getattr(obj, "getObject", None)
    return getter() if getter else obj


STAMP_SIZE = 7.5


def _pdf_text(text):
    """A PDF literal string in WinAnsi (Helvetica's encoding): parentheses and backslashes escaped."""
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def stamp_operators(details, label, width):
    """PDF operators of the footer: a rule, the company line on the left, the page label on the right."""
    label_width = pdfmetrics.stringWidth(label, "Helvetica", STAMP_SIZE)
    font = STAMP_FONT.encode()
    return b"".join(
        [
            b"0.79 0.84 0.87 RG 0.5 w 36 34 m %.2f 34 l S\n" % (width - 36),
            b"0.33 0.33 0.33 rg\n",
            b"BT %s %.1f Tf 36 22 Td %s Tj ET\n" % (font, STAMP_SIZE, _pdf_text(details)),
            b"BT %s %.1f Tf %.2f 22 Td %s Tj ET\n" % (font, STAMP_SIZE, width - 36 - label_width, _pdf_text(label)),
        ]
    )
