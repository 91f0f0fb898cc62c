import json

from odoo import http
from odoo.addons.portal.controllers import portal
from odoo.http import request

from .portal_input import portal_id

SUGGESTIONS = 5
KB_LIST_LIMIT = 200


def itsm_kb_published_suggestions(text, limit=SUGGESTIONS):
    """Published scenarios matching ``text`` for the portal user, read through the user's record rules."""
    env = request.env
    ids = env["document.page"].sudo()._itsm_kb_search(text, limit=limit, company_id=None, published=True)
    pages = env["document.page"].browse(ids)
    readable = pages._filtered_access("read")
    return readable.sorted(lambda page: ids.index(page.id))


class ItsmKnowledgePortal(portal.CustomerPortal):
    @http.route("/my/itsm/kb/suggest", type="http", auth="user", methods=["GET"], website=True, readonly=True)
    def itsm_kb_suggest(self, q="", **kw):
        """Titles and URLs of the published scenarios matching ``q``, as JSON (for the portal ticket form)."""
        pages = itsm_kb_published_suggestions(q if isinstance(q, str) else "")
        body = [{"id": page.id, "title": page.name, "url": f"/my/itsm/kb/{page.id}"} for page in pages]
        return request.make_response(json.dumps(body), headers=[("Content-Type", "application/json")])

    @http.route("/my/itsm/kb", type="http", auth="user", website=True, readonly=True)
    def itsm_kb_list(self, search="", **kw):
        """The resolution scenarios published to the portal, the best matches of ``search`` first."""
        Page = request.env["document.page"]
        search = (search or "").strip()[:200]
        if search:
            pages = itsm_kb_published_suggestions(search, limit=KB_LIST_LIMIT)
        else:
            pages = Page.search(
                [("itsm_is_scenario", "=", True), ("itsm_portal_published", "=", True), ("type", "=", "content")],
                order="name, id",
                limit=KB_LIST_LIMIT,
            )
        values = self._prepare_portal_layout_values()
        values.update({"pages": pages, "search": search, "page_name": "itsm_kb_list"})
        return request.render("itsm_service_contract.portal_itsm_kb_list", values)

    @http.route("/my/itsm/kb/<int:page_id>", type="http", auth="user", website=True, readonly=True)
    def itsm_kb_page(self, page_id, **kw):
        page = request.env["document.page"].browse(portal_id(page_id) or [])
        if not (page.exists() and page.has_access("read") and page.itsm_is_scenario and page.itsm_portal_published):
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        # the current version only, sanitized whoever wrote it (a technician's page may hold any HTML)
        values.update({"page": page, "page_name": "itsm_kb_page", "content": page.sudo().itsm_portal_content})
        return request.render("itsm_service_contract.portal_itsm_kb_page", values)

    @http.route("/my/itsm/problems", type="http", auth="user", website=True, readonly=True)
    def itsm_my_problems(self, **kw):
        Problem = request.env["itsm.problem"]
        problems = Problem.search([], order="id desc", limit=200) if Problem.has_access("read") else Problem
        values = self._prepare_portal_layout_values()
        values.update({"problems": problems, "page_name": "itsm_problems"})
        return request.render("itsm_service_contract.portal_itsm_problems", values)
