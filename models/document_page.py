import logging

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import html_sanitize

from .. import rules
from ..access import checked

_logger = logging.getLogger(__name__)

# Letters folded when PostgreSQL's ``unaccent`` extension cannot be created (no rights): the same function
# ``itsm_kb_fold`` is used on the articles (trigger) and on the searched text, so both sides always agree.
ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿœæÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyyoaAAAAAACEEEEIIIINOOOOOUUUUYY"


class DocumentPage(models.Model):
    """A wiki page of OCA's document_page, used as a resolution scenario of the service desk.

    The search vector ``itsm_search`` is a real column (the ORM has no tsvector field) kept by a PostgreSQL
    trigger: title and symptoms weigh A, the body of the current version (HTML stripped) weighs C, each in the
    French and the English configurations, accents folded by ``itsm_kb_fold`` (``unaccent`` when available).
    A GIN index serves the ``@@`` of the suggestions.
    """

    _inherit = "document.page"

    itsm_is_scenario = fields.Boolean(
        string="Resolution scenario", index=True, help="Offered to technicians for tickets that look alike."
    )
    itsm_domain_ids = fields.Many2many(
        "itsm.service.domain",
        "itsm_document_page_domain_rel",
        "page_id",
        "domain_id",
        string="Support domains",
    )
    itsm_category_ids = fields.Many2many(
        "helpdesk.ticket.category",
        "itsm_document_page_category_rel",
        "page_id",
        "category_id",
        string="Ticket categories",
    )
    itsm_symptoms = fields.Text(
        string="Symptoms", help="What the user sees, in the user's words: the search matches it like the title."
    )
    itsm_portal_published = fields.Boolean(
        string="Published on the portal", copy=False, help="Clients may read it on the portal.", tracking=True
    )
    itsm_use_count = fields.Integer(string="Times applied", default=0, readonly=True, copy=False)
    itsm_source_ticket_id = fields.Many2one(
        "helpdesk.ticket",
        string="Source ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    # What the portal reads of a scenario: the current version's content, sanitized, once published. The raw
    # content, its versions (written from a client's ticket before it was made generic), who wrote them and why
    # are the desk's own (``groups``): a portal client reading the page gets none of them.
    itsm_portal_content = fields.Html(
        string="Content shown on the portal",
        compute="_compute_itsm_portal_content",
        compute_sudo=True,
        sanitize=False,  # sanitized by the compute, whatever is stored
        help="The current version's content, sanitized, for a published resolution scenario; empty otherwise.",
    )
    content = fields.Html(groups="base.group_user")
    draft_name = fields.Char(groups="base.group_user")
    draft_summary = fields.Char(groups="base.group_user")
    history_ids = fields.One2many(groups="base.group_user")
    template = fields.Html(groups="base.group_user")
    content_uid = fields.Many2one(groups="base.group_user")
    menu_id = fields.Many2one(groups="base.group_user")
    backend_url = fields.Char(groups="base.group_user")

    def init(self):
        res = super().init()
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
        has_unaccent = bool(cr.fetchone())
        if not has_unaccent:
            try:
                with cr.savepoint(flush=False):
                    cr.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
                has_unaccent = True
            except Exception:
                _logger.info("unaccent extension not available: accents folded with translate()")
        if has_unaccent:
            cr.execute(
                """
                CREATE OR REPLACE FUNCTION itsm_kb_fold(txt text) RETURNS text
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
                $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, coalesce(txt, ''))) $$
                """
            )
        else:
            cr.execute(
                """
                CREATE OR REPLACE FUNCTION itsm_kb_fold(txt text) RETURNS text
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
                $$ SELECT lower(translate(coalesce(txt, ''), %s, %s)) $$
                """,
                [ACCENTED, PLAIN],
            )
        cr.execute(
            """
            CREATE OR REPLACE FUNCTION itsm_kb_vector(title text, symptoms text, body text) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
            $$ SELECT setweight(to_tsvector('french', itsm_kb_fold(title)), 'A')
                   || setweight(to_tsvector('english', itsm_kb_fold(title)), 'A')
                   || setweight(to_tsvector('french', itsm_kb_fold(symptoms)), 'A')
                   || setweight(to_tsvector('english', itsm_kb_fold(symptoms)), 'A')
                   || setweight(to_tsvector('french', itsm_kb_fold(body)), 'C')
                   || setweight(to_tsvector('english', itsm_kb_fold(body)), 'C') $$
            """
        )
        cr.execute(
            """
            CREATE OR REPLACE FUNCTION itsm_document_page_search_trigger() RETURNS trigger
            LANGUAGE plpgsql AS $$
            DECLARE body text;
            BEGIN
                SELECT regexp_replace(h.content, '<[^>]*>', ' ', 'g') INTO body
                  FROM document_page_history h WHERE h.id = NEW.history_head;
                NEW.itsm_search := itsm_kb_vector(
                    NEW.name, NEW.itsm_symptoms, left(coalesce(body, ''), 200000)
                );
                RETURN NEW;
            END $$
            """
        )
        # The searched text: French terms (websearch syntax: quotes, "or", "-"), then English ones from the words
        # French does not drop as stop words ("le", "du" are English words to the English configuration).
        # Terms are OR'ed: a ticket need not repeat every word of an article, ts_rank_cd ranks the overlap.
        cr.execute(
            """
            CREATE OR REPLACE FUNCTION itsm_kb_query(txt text) RETURNS tsquery
            LANGUAGE sql STABLE PARALLEL SAFE AS
            $$ WITH folded AS (SELECT itsm_kb_fold(left(txt, 1000)) AS t),
                    words AS (
                        SELECT string_agg(w, ' ') AS t
                          FROM folded, regexp_split_to_table(folded.t, '[^[:alnum:]]+') AS w
                         WHERE w <> '' AND coalesce(array_length(ts_lexize('french_stem', w), 1), 0) > 0
                    )
               SELECT replace(websearch_to_tsquery('french', folded.t)::text, ' & ', ' | ')::tsquery
                      || replace(websearch_to_tsquery('english', coalesce(words.t, ''))::text, ' & ', ' | ')::tsquery
                 FROM folded, words $$
            """
        )
        cr.execute("ALTER TABLE document_page ADD COLUMN IF NOT EXISTS itsm_search tsvector")
        cr.execute("CREATE INDEX IF NOT EXISTS document_page_itsm_search_idx ON document_page USING gin (itsm_search)")
        cr.execute(
            """
            DROP TRIGGER IF EXISTS itsm_document_page_search ON document_page;
            CREATE TRIGGER itsm_document_page_search
                BEFORE INSERT OR UPDATE OF name, itsm_symptoms, history_head ON document_page
                FOR EACH ROW EXECUTE FUNCTION itsm_document_page_search_trigger();
            """
        )
        # pages that existed before the addon: fill their vector once
        cr.execute("UPDATE document_page SET name = name WHERE itsm_search IS NULL")
        return res

    @api.depends("history_head.content", "itsm_is_scenario", "itsm_portal_published")
    def _compute_itsm_portal_content(self):
        for page in self:
            published = page.itsm_is_scenario and page.itsm_portal_published and page.type == "content"
            page.itsm_portal_content = html_sanitize(page.history_head.content) if published else False

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("itsm_portal_published") for vals in vals_list):
            self._itsm_check_can_publish()
        notes = [self._itsm_pop_change_note(vals) for vals in vals_list]
        pages = super().create(vals_list)
        for page, note in zip(pages, notes, strict=True):
            page._itsm_write_change_note(note)
        return pages

    def write(self, vals):
        if "itsm_portal_published" in vals:
            self._itsm_check_can_publish()
        note = self._itsm_pop_change_note(vals)
        result = super().write(vals)
        self._itsm_write_change_note(note)
        return result

    # ------------------------------------------------------------ change note of the current version
    # A version is never rewritten (record rule ``rule_document_page_history_never_rewritten``), except its change
    # note: OCA's ``draft_name`` / ``draft_summary`` are related to the current version and written with the page.
    # They are taken out of the page's values and written here, as the superuser, by one who may edit the page.
    _ITSM_CHANGE_NOTE = {"draft_name": "name", "draft_summary": "summary"}

    @api.model
    def _itsm_pop_change_note(self, vals):
        return {self._ITSM_CHANGE_NOTE[key]: vals.pop(key) for key in list(vals) if key in self._ITSM_CHANGE_NOTE}

    def _itsm_write_change_note(self, note):
        if not note or not self:
            return
        self.check_access("write")
        self.sudo().history_head.write(note)

    def _itsm_check_can_publish(self):
        """Publishing to the clients (or withdrawing) is an account manager's decision, as the form's buttons say."""
        if self.env.su or self.env.user.has_group("itsm_service_contract.group_itsm_account_manager"):
            return
        raise AccessError(
            self.env._(
                "Only an account manager may publish a resolution scenario on the portal or withdraw it (%(pages)s).",
                pages=", ".join(self.mapped("name")) or self.env._("new page"),
            )
        )

    # ------------------------------------------------------------ search
    # Pages the prefilter may be estimated to let through (from the planner's statistics), and the hard cap on
    # the pages ranked: ts_rank_cd costs ~10 µs a page, the ranking stays near 10 ms whatever the base's size.
    KB_PREFILTER_ROWS = 1000
    KB_CANDIDATES = 1000
    # pages matching only common terms ranked to fill the list when the rare terms found too few
    KB_FILL_CANDIDATES = 200

    @api.model
    def _itsm_kb_search(self, text, limit=5, category_id=None, domain_id=None, company_id=None, published=False):
        """Ids of the ``limit`` scenarios best matching ``text``, best first: one query, GIN index.

        ``websearch_to_tsquery`` never fails on user input (operators, quotes, stop words only give a valid or an
        empty query); its terms are OR'ed so that a ticket need not repeat every word of an article, and
        ``ts_rank_cd`` orders by how many terms match and how close they are. A page of the ticket's category or
        domain gets a 50 % boost each.

        Ranking every page that matches one word is too slow once a word is common ("plus" of "ne fonctionne
        plus" is in nearly every article): the GIN index is first asked for the pages matching the *rare* terms
        only. The ticket's terms are sorted by how many pages contain them (``pg_stats.most_common_elems`` of the
        vector, kept by ANALYZE and autovacuum; a term absent from it is rare) and kept, rarest first, while the
        pages they match are estimated under ``KB_PREFILTER_ROWS`` (the rarest term is always kept). A page that
        matches only common words carries little of the ticket's meaning; a page matching all the ticket's words
        matches the rare ones too. Without statistics (a new base) every term is kept: the plain OR query. At
        most ``KB_CANDIDATES`` of these pages (that match the whole query too: phrases, excluded words) are then
        ranked as before with the whole query (common terms included), the boosts and the use count. If they are
        fewer than ``limit``, up to ``KB_FILL_CANDIDATES`` pages matching only common terms are ranked with them (the
        plain OR query, bounded). Relevance floor: a page must also match one of the ticket's words that say what
        is at fault (``rules.kb_specific_text``): a printer scenario sharing "ne répond plus" with a server ticket
        is not offered; a ticket that only says that something is broken gets no suggestion. The CTEs are
        MATERIALIZED: inlined, ``itsm_kb_query`` ran again for every page.
        """
        # a NUL cannot be sent to PostgreSQL (GET /my/itsm/kb/suggest?q=%00): a blank like any other
        text = (text or "")[:1000].replace("\x00", " ")
        specific = rules.kb_specific_text(text)
        if not specific.strip():
            return []
        query = r"""
            WITH q AS MATERIALIZED (SELECT itsm_kb_query(%(text)s) AS query),
                 -- the relevance floor: a page must match one of the words that say what is at fault
                 sq AS MATERIALIZED (SELECT itsm_kb_query(%(specific)s) AS query),
                 stats AS MATERIALIZED (
                    SELECT s.most_common_elems::text::text[] AS elems, s.most_common_elem_freqs AS freqs,
                           greatest(c.reltuples, 1) AS pages
                      FROM pg_stats s
                      JOIN pg_class c ON c.oid = 'document_page'::regclass
                     WHERE s.schemaname = current_schema() AND s.tablename = 'document_page'
                       AND s.attname = 'itsm_search'
                 ),
                 -- each distinct term of the tsquery as written in it ('lexeme', quotes doubled), but the
                 -- excluded ones (!'term', from "-word")
                 terms AS MATERIALIZED (
                    SELECT t.term,
                           coalesce((SELECT s.freqs[array_position(s.elems, t.lexeme)] FROM stats s), 0) AS freq,
                           coalesce((SELECT s.pages FROM stats s), 1) AS pages
                      FROM (SELECT DISTINCT m[2] AS term, replace(m[3], '''''', '''') AS lexeme
                              FROM q, regexp_matches(q.query::text, '(!?)(''((?:[^'']|'''')*)'')', 'g') AS m
                             WHERE m[1] = '') t
                 ),
                 ranked_terms AS MATERIALIZED (
                    SELECT term, row_number() OVER w AS rarity, sum(freq) OVER w * pages AS matched
                      FROM terms
                    WINDOW w AS (ORDER BY freq, term ROWS UNBOUNDED PRECEDING)
                 ),
                 tq AS MATERIALIZED (
                    SELECT string_agg(term, ' | ') FILTER (
                               WHERE rarity = 1 OR matched <= %(prefilter)s)::tsquery AS prefilter
                      FROM ranked_terms
                 ),
                 -- the pages matching the rare terms (and the whole query: phrases, excluded words)
                 found AS MATERIALIZED (
                    SELECT p.id, p.itsm_search, p.itsm_use_count
                      FROM document_page p, tq, q, sq
                     WHERE p.itsm_search @@ tq.prefilter
                       AND p.itsm_search @@ q.query
                       AND p.itsm_search @@ sq.query
                       AND p.itsm_is_scenario
                       AND p.active
                       AND (NOT %(published)s OR p.itsm_portal_published)
                       AND (p.company_id IS NULL OR %(company)s IS NULL OR p.company_id = %(company)s)
                     LIMIT %(candidates)s
                 ),
                 -- too few: pages matching only common terms fill the list (only then scanned: one-time filter)
                 more AS (
                    SELECT p.id, p.itsm_search, p.itsm_use_count
                      FROM document_page p, tq, q, sq
                     WHERE (SELECT count(*) FROM found) < %(limit)s
                       AND p.itsm_search @@ q.query
                       AND p.itsm_search @@ sq.query
                       AND NOT p.itsm_search @@ tq.prefilter
                       AND p.itsm_is_scenario
                       AND p.active
                       AND (NOT %(published)s OR p.itsm_portal_published)
                       AND (p.company_id IS NULL OR %(company)s IS NULL OR p.company_id = %(company)s)
                     LIMIT %(fill)s
                 )
            SELECT p.id
              FROM (SELECT * FROM found UNION ALL SELECT * FROM more) p, q
             ORDER BY ts_rank_cd(p.itsm_search, q.query)
                      * (1 + CASE WHEN %(category)s IS NOT NULL AND EXISTS (
                                SELECT 1 FROM itsm_document_page_category_rel c
                                 WHERE c.page_id = p.id AND c.category_id = %(category)s) THEN 0.5 ELSE 0 END
                           + CASE WHEN %(domain)s IS NOT NULL AND EXISTS (
                                SELECT 1 FROM itsm_document_page_domain_rel d
                                 WHERE d.page_id = p.id AND d.domain_id = %(domain)s) THEN 0.5 ELSE 0 END) DESC,
                      p.itsm_use_count DESC, p.id
             LIMIT %(limit)s
        """
        self.flush_model(["name", "itsm_symptoms", "history_head", "itsm_is_scenario", "active"])
        self.env.cr.execute(
            query,
            {
                "text": text,
                "specific": specific,
                "published": bool(published),
                "company": company_id or None,
                "category": category_id or None,
                "domain": domain_id or None,
                "limit": limit,
                "prefilter": self.KB_PREFILTER_ROWS,
                "candidates": self.KB_CANDIDATES,
                "fill": self.KB_FILL_CANDIDATES,
            },
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _itsm_increment_use(self):
        """Count one more use, atomically (two technicians applying at once both count)."""
        if self:
            self.env.cr.execute(
                "UPDATE document_page SET itsm_use_count = coalesce(itsm_use_count, 0) + 1 WHERE id = ANY(%s)",
                [list(self.ids)],
            )
            self.invalidate_recordset(["itsm_use_count"])

    @checked()
    def action_itsm_kb_apply(self):
        """The *Apply* button of a suggestion in the ticket's Knowledge tab (the ticket comes in the context)."""
        self.ensure_one()
        ticket_id = self.env.context.get("itsm_ticket_id")
        if not ticket_id:
            raise UserError(self.env._("Open the ticket to apply the scenario %(page)s to it.", page=self.name))
        return self.env["helpdesk.ticket"].browse(int(ticket_id)).action_itsm_kb_apply(self.id)

    @checked("write")
    def action_itsm_publish_portal(self):
        self.itsm_portal_published = True
        return True

    @checked("write")
    def action_itsm_unpublish_portal(self):
        self.itsm_portal_published = False
        return True
