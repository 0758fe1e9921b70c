/* The PDF and UBL documents of an issued invoice (invoice_documents.h). */
#include "invoice_documents.h"

#include <stdio.h>
#include <stdlib.h>

#include "auth/authz.h"
#include "db/db.h"
#include "lib/bigstack.h"
#include "lib/pdf.h"
#include "lib/ubl.h"
#include "resource.h"

/* The renderer contract's document ($2 cooperative scope, $3 member scope); number is null for a
 * draft. */
static struct stmt document_stmt =
    STMT("SELECT json_build_object('invoice', invoice_doc(i)::jsonb || jsonb_build_object("
         "   'credit_of_number', o.number, 'credit_of_issue_date', o.issue_date,"
         "   'payment_reference', i.number, 'open_cents', i.gross_cents - i.paid_cents),"
         "  'supplier', i.supplier, 'customer', i.customer, 'member', i.member)::text AS doc,"
         "  i.number"
         " FROM invoices i LEFT JOIN invoices o ON o.id = i.credit_of"
         " WHERE i.id = $1 AND ($2::uuid IS NULL OR i.cooperative_id = $2)"
         "   AND ($3::uuid IS NULL OR i.member_id = $3)");

/* The issued invoice as one JSON document for the renderers (contract: lib/pdf.h, lib/ubl.h). */
static json_t *document_of(struct req *r)
{
	if (!req_db(r))
		return NULL;
	const char *p[] = {r->params[0], scope_coop(&r->who), scope_member(&r->who)};
	PGresult *res = db_exec_last(r->db, &document_stmt, 3, p, &r->err);
	if (!res)
		return NULL;
	json_t *doc = NULL;
	if (PQntuples(res) != 1) {
		err_not_found(&r->err);
	} else if (!db_col(res, 0, "number")) {
		err_set(&r->err, 409, "invoice_not_issued", "a draft has no legal document yet");
	} else {
		json_error_t je;
		doc = json_loads(db_col(res, 0, "doc"), 0, &je);
		if (!doc)
			err_internal(&r->err);
	}
	PQclear(res);
	return doc;
}

/* "WERK2026-00012.pdf": the invoice's number (a document has one) and ext. */
static void file_name(const json_t *doc, const char *ext, char *out, size_t n)
{
	const char *number =
	    json_string_value(json_object_get(json_object_get(doc, "invoice"), "number"));
	snprintf(out, n, "%s%s", number ? number : "invoice", ext);
}

int invoices_pdf(struct req *r)
{
	char err[128], name[96];
	json_t *doc = document_of(r);
	if (!doc)
		return -1;
	size_t len;
	/* pdf_render draws on a thread with a large stack of its own. */
	unsigned char *pdf = pdf_render(doc, &len, err, sizeof err);
	file_name(doc, ".pdf", name, sizeof name);
	json_decref(doc);
	return respond_file(r, "application/pdf", pdf, len, err, name);
}

int invoices_ubl(struct req *r)
{
	char name[96], err[128];
	json_t *doc = document_of(r);
	if (!doc)
		return -1;
	file_name(doc, ".xml", name, sizeof name);
	size_t len;
	/* libxml2 on a thread with a large stack: civetweb's workers have 100 KiB */
	char *xml = render_with_stack(ubl_render, doc, &len, err, sizeof err);
	json_decref(doc);
	if (!xml) {
		/* The e-invoice rules ask more than a legal invoice does (e.g. a Dutch buyer's KvK
		 * number): such an invoice has a PDF but no UBL. */
		err_set(&r->err, 422, "ubl_not_possible",
		        "no SI-UBL e-invoice for this invoice: %s", err);
		return -1;
	}
	resp_body(r, 200, "application/xml; charset=utf-8", xml, len);
	resp_filename(r, name);
	free(xml);
	return 0;
}
