import functools
import io
import subprocess

from lxml import etree
from lxml import html as lxml_html
from reportlab.lib import colors
from reportlab.pdfgen import canvas

from odoo import models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin
from odoo.exceptions import UserError
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
            and report.report_type == "qweb-pdf"
            and (report.report_name or "").startswith(MODULE_PREFIX)
            and not wkhtmltopdf_draws_headers()
        )

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
        """Draw the company line and "Page x / y" at the bottom of every page of ``stream``."""
        partner = record.partner_id if "partner_id" in record._fields else record.env["res.partner"]
        company = record.company_id if "company_id" in record._fields and record.company_id else self.env.company
        lang = partner.lang or self.env.lang
        env = self.with_context(lang=lang).env
        details = " - ".join(part for part in (company.name, company.phone, company.email, company.website) if part)
        reader = PdfFileReader(stream, strict=False, overwriteWarnings=False)
        pages = reader.getNumPages()
        packet = io.BytesIO()
        can = canvas.Canvas(packet)
        for index in range(pages):
            page = reader.getPage(index)
            width = float(abs(page.mediaBox.getWidth()))
            can.setPageSize((width, float(abs(page.mediaBox.getHeight()))))
            can.setStrokeColor(colors.Color(0.79, 0.84, 0.87))
            can.setLineWidth(0.5)
            can.line(36, 34, width - 36, 34)
            can.setFillColor(colors.Color(0.33, 0.33, 0.33))
            can.setFont("Helvetica", 7.5)
            can.drawString(36, 22, details[:140])
            can.drawRightString(width - 36, 22, env._("Page %(page)s / %(pages)s", page=index + 1, pages=pages))
            can.showPage()
        can.save()
        overlay = PdfFileReader(packet, overwriteWarnings=False)
        writer = PdfFileWriter()
        for index in range(pages):
            page = reader.getPage(index)
            page.mergePage(overlay.getPage(index))
            writer.addPage(page)
        # Merging decodes the page's content and the overlay's into one new stream, which the PDF library
        # writes uncompressed: wkhtmltopdf draws the body's web-font text as outlines, megabytes once inflated.
        for page in getattr(writer, "pages", None) or [writer.getPage(i) for i in range(pages)]:
            compress = getattr(page, "compress_content_streams", None) or page.compressContentStreams
            compress()
        output = io.BytesIO()
        writer.write(output)
        return output
