import logging

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

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
        "helpdesk.ticket", string="Source ticket", readonly=True, copy=False, index="btree_not_null"
    )

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

    # ------------------------------------------------------------ search
    @api.model
    def _itsm_kb_search(self, text, limit=5, category_id=None, domain_id=None, company_id=None, published=False):
        """Ids of the ``limit`` scenarios best matching ``text``, best first: one query, GIN index.

        ``websearch_to_tsquery`` never fails on user input (operators, quotes, stop words only give a valid or an
        empty query); its terms are OR'ed so that a ticket need not repeat every word of an article, and
        ``ts_rank_cd`` orders by how many terms match and how close they are. A page of the ticket's category or
        domain gets a 50 % boost each.
        """
        text = (text or "")[:1000]
        if not text.strip():
            return []
        query = """
            WITH q AS (SELECT itsm_kb_query(%(text)s) AS query)
            SELECT p.id
              FROM document_page p, q
             WHERE p.itsm_search @@ q.query
               AND p.itsm_is_scenario
               AND p.active
               AND (NOT %(published)s OR p.itsm_portal_published)
               AND (p.company_id IS NULL OR %(company)s IS NULL OR p.company_id = %(company)s)
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
                "published": bool(published),
                "company": company_id or None,
                "category": category_id or None,
                "domain": domain_id or None,
                "limit": limit,
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
