/* Webhook subscriptions and their delivery logs (webhooks.h). */
#include "webhooks.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app.h"
#include "audit.h"
#include "auth/authz.h"
#include "lib/bigstack.h"
#include "lib/ids.h"
#include "lib/parse.h"
#include "lib/webhook_sign.h"
#include "lib/webhook_url.h"
#include "list.h"
#include "resource.h"

/* The events a subscription may ask for; a municipality's only the last three. */
static const char *const event_types[] = {
    "invoice.issued",       "invoice.paid",         "invoice.credited",    "payout.created",
    "settlement.finalized", "settlement.corrected", "permission.expiring", NULL};
#define MUNICIPAL_EVENTS_FROM 4 /* event_types[4..] */
#define EVENT_COUNT           7

/* ---- statements ---------------------------------------------------------------------- */

/* The caller's scope: $2 the cooperative (null: not confined to one), $3 the municipality
 * (null: not confined to one). A cooperative's administrator sees its cooperative's
 * subscriptions, a municipality its own, a platform admin every one. */
#define IN_SCOPE(a)                                                                                \
	"($2::uuid IS NULL OR " a ".cooperative_id = $2) AND ($3::text IS NULL OR " a              \
	".municipality_code = $3)"

static struct stmt hook_get =
    STMT("SELECT webhook_subscription_doc(s)::text AS doc, s.row_version"
         " FROM webhook_subscriptions s WHERE s.id = $1 AND " IN_SCOPE("s"));

/* $3, $4 the caller's scope as in IN_SCOPE; $5 cooperative_id, $6 municipality_code, $7 enabled:
 * the filters. */
static struct list_stmt hook_list = LIST_STMT(
    "webhook_subscription_doc(s)::text", "webhook_subscriptions s", "s.seq",
    "($3::uuid IS NULL OR s.cooperative_id = $3) AND ($4::text IS NULL OR s.municipality_code = $4)"
    " AND ($5::uuid IS NULL OR s.cooperative_id = $5)"
    " AND ($6::text IS NULL OR s.municipality_code = $6)"
    " AND ($7::boolean IS NULL OR s.enabled = $7)");

/* $3 the subscription (visible to the caller: checked first), $4 the status filter. */
static struct list_stmt delivery_list =
    LIST_STMT("webhook_delivery_doc(d)::text", "webhook_deliveries d", "d.seq",
              "d.subscription_id = $3 AND ($4::text IS NULL OR d.status = $4)");

static struct stmt hook_visible =
    STMT("SELECT 1 FROM webhook_subscriptions s WHERE s.id = $1 AND " IN_SCOPE("s"));

static struct stmt coop_exists = STMT("SELECT 1 FROM cooperatives WHERE id = $1");
static struct stmt municipality_exists = STMT("SELECT 1 FROM municipalities WHERE code = $1");

/* $1 cooperative, $2 municipality, $3 url, $4 events, $5 description, $6 secret, $7 user. */
static struct stmt hook_insert =
    STMT("SELECT webhook_subscription_doc(s)::text AS doc, s.id, s.row_version"
         " FROM webhook_subscription_create($1, $2, $3, $4::text[], $5, $6, $7) s");

/* FOR NO KEY UPDATE: a change that commits an event meanwhile holds a key share lock on the
 * subscription (the delivery's foreign key), which this lock does not wait for. */
static struct stmt hook_lock =
    STMT("SELECT s.row_version, s.cooperative_id, s.municipality_code, s.enabled"
         " FROM webhook_subscriptions s WHERE s.id = $1 AND " IN_SCOPE("s") " FOR NO KEY UPDATE");
static struct stmt hook_lock_delete =
    STMT("SELECT s.row_version, s.cooperative_id, s.municipality_code"
         " FROM webhook_subscriptions s WHERE s.id = $1 AND " IN_SCOPE("s") " FOR UPDATE");

/* $1 id, $2 url, $3 events, $4 description given (boolean), $5 description, $6 enabled: each
 * null keeps what is there. Disabling by request says so; enabling clears why it was disabled
 * and the failures before. */
static struct stmt hook_update = STMT(
    "UPDATE webhook_subscriptions s SET url = coalesce($2, s.url),"
    " events = coalesce($3::text[], s.events),"
    " description = CASE WHEN $4::boolean THEN $5 ELSE s.description END,"
    " enabled = coalesce($6::boolean, s.enabled),"
    " disabled_reason = CASE WHEN coalesce($6::boolean, s.enabled) THEN NULL"
    "   WHEN s.enabled THEN 'disabled_by_request' ELSE s.disabled_reason END,"
    " disabled_detail = CASE WHEN coalesce($6::boolean, s.enabled) OR s.enabled THEN NULL"
    "   ELSE s.disabled_detail END,"
    " disabled_at = CASE WHEN coalesce($6::boolean, s.enabled) THEN NULL"
    "   WHEN s.enabled THEN now() ELSE s.disabled_at END,"
    " failing_since = CASE WHEN $6::boolean AND NOT s.enabled THEN NULL ELSE s.failing_since END,"
    " row_version = s.row_version + 1, updated_at = now()"
    " WHERE s.id = $1"
    " RETURNING webhook_subscription_doc(s)::text AS doc, s.id, s.row_version");

/* A subscription enabled again: its waiting deliveries are due now, not after their backoff. */
static struct stmt hook_resume = STMT("SELECT webhook_resume($1) AS n");

static struct stmt hook_delete = STMT("DELETE FROM webhook_subscriptions WHERE id = $1");

/* ---- scope ----------------------------------------------------------------------------- */

static const char *scope_cooperative(const struct req *r)
{
	return r->who.role == ROLE_COOP_ADMIN ? r->who.coop : NULL;
}

static const char *scope_municipality(const struct req *r)
{
	return r->who.role == ROLE_MUNICIPALITY ? r->who.municipality : NULL;
}

/* ---- body checks --------------------------------------------------------------------------- */

const struct field webhooks_create_fields[] = {
    {"url", F_STRING, FIELD_REQUIRED, 1, WEBHOOK_URL_MAX, NULL},
    {"events", F_ARRAY, FIELD_REQUIRED, 0, 0, NULL},
    {"description", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {"cooperative_id", F_UUID, FIELD_NULLABLE, 0, 0, NULL},
    {"municipality_code", F_STRING, FIELD_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

const struct field webhooks_patch_fields[] = {
    {"url", F_STRING, 0, 1, WEBHOOK_URL_MAX, NULL},
    {"events", F_ARRAY, 0, 0, 0, NULL},
    {"description", F_STRING, FIELD_NULLABLE, 1, 500, NULL},
    {"enabled", F_BOOL, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* The index of an event type, or -1. */
static int event_index(const char *s)
{
	for (int i = 0; s && event_types[i]; i++)
		if (strcmp(s, event_types[i]) == 0)
			return i;
	return -1;
}

/* The body's url: a URL coopd delivers to (webhook_url.h); an address it never delivers to is
 * refused here already when the URL names one (a name is resolved by the handler). */
static void check_url(struct req *r)
{
	const char *url = body_str(r, "url");
	struct webhook_url u;
	const char *why = NULL;
	if (!url)
		return;
	if (webhook_url_parse(url, &u, &why) != 0) {
		err_field(&r->err, "url", "invalid_url", why);
		return;
	}
	if (app.cfg.webhook_allow_private)
		return;
	unsigned char a[16];
	int refused = webhook_host_refused(u.host);
	if (u.host_ip == 4 && inet_pton(AF_INET, u.host, a) == 1)
		refused = webhook_addr_refused(AF_INET, a);
	else if (u.host_ip == 6 && inet_pton(AF_INET6, u.host, a) == 1)
		refused = webhook_addr_refused(AF_INET6, a);
	if (refused)
		err_field(&r->err, "url", "url_not_allowed",
		          "names a loopback, private, link-local or otherwise internal address");
}

/* The body's events: 1 to 7 known event types, each once. */
static void check_events(struct req *r)
{
	json_t *ev = json_object_get(r->body, "events");
	if (!json_is_array(ev))
		return;
	size_t n = json_array_size(ev);
	if (n < 1 || n > EVENT_COUNT) {
		err_field(&r->err, "events", "invalid_value", "must name 1 to 7 event types");
		return;
	}
	int seen[EVENT_COUNT] = {0};
	size_t i;
	json_t *item;
	json_array_foreach(ev, i, item)
	{
		char field[32];
		snprintf(field, sizeof field, "events[%zu]", i);
		int k = event_index(json_string_value(item));
		if (k < 0)
			err_field(&r->err, field, "invalid_value",
			          "must be invoice.issued, invoice.paid, invoice.credited, "
			          "payout.created, settlement.finalized, settlement.corrected or "
			          "permission.expiring");
		else if (seen[k]++)
			err_field(&r->err, field, "invalid_value", "names an event type twice");
	}
}

/* A municipality's subscription takes its residents' settlement and permission events only. */
static int check_municipal_events(struct req *r)
{
	json_t *ev = json_object_get(r->body, "events");
	size_t i;
	json_t *item;
	json_array_foreach(ev, i, item)
	{
		if (event_index(json_string_value(item)) < MUNICIPAL_EVENTS_FROM) {
			char field[32];
			snprintf(field, sizeof field, "events[%zu]", i);
			err_field(&r->err, field, "not_for_municipality",
			          "a municipality subscribes to settlement.finalized, "
			          "settlement.corrected and permission.expiring only");
		}
	}
	return r->err.status ? -1 : 0;
}

int webhooks_create_check(struct req *r)
{
	check_url(r);
	check_events(r);
	const char *coop = body_str(r, "cooperative_id");
	const char *muni = body_str(r, "municipality_code");
	if (muni && !municipality_code_valid(muni))
		err_field(&r->err, "municipality_code", "invalid_value", "must be GM and 4 digits");
	switch (r->who.role) {
	case ROLE_PLATFORM_ADMIN:
		if ((coop != NULL) == (muni != NULL))
			err_field(&r->err, coop ? "municipality_code" : "cooperative_id",
			          "required",
			          "name the owner: cooperative_id or municipality_code, not both");
		break;
	case ROLE_COOP_ADMIN:
		if (muni)
			err_field(&r->err, "municipality_code", "invalid_value",
			          "a cooperative subscribes for itself: leave it out");
		else if (coop && strcmp(coop, r->who.coop) != 0)
			err_field(&r->err, "cooperative_id", "invalid_reference",
			          "does not name an object you can see");
		break;
	case ROLE_MUNICIPALITY:
		if (coop)
			err_field(&r->err, "cooperative_id", "invalid_value",
			          "a municipality subscribes for itself: leave it out");
		else if (muni && strcmp(muni, r->who.municipality) != 0)
			err_field(&r->err, "municipality_code", "invalid_reference",
			          "does not name an object you can see");
		break;
	default:
		break;
	}
	return r->err.status ? -1 : 0;
}

int webhooks_patch_check(struct req *r)
{
	check_url(r);
	check_events(r);
	return r->err.status ? -1 : 0;
}

/* ---- the URL's host -------------------------------------------------------------------- */

struct resolve_job {
	const char *host;
	int allow_private;
	int rc; /* 0 fine, 1 no address, 2 an address coopd does not deliver to */
};

/* getaddrinfo on a thread of its own: the resolver's modules need more stack than a civetweb
 * worker has. */
static void resolve_run(void *arg)
{
	struct resolve_job *j = arg;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(j->host, NULL, &hints, &res) != 0 || !res) {
		j->rc = 1;
		return;
	}
	j->rc = 0;
	for (struct addrinfo *ai = res; ai && !j->allow_private; ai = ai->ai_next) {
		const unsigned char *a = NULL;
		if (ai->ai_family == AF_INET)
			a = (const unsigned char *)&((struct sockaddr_in *)(void *)ai->ai_addr)
			        ->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = (const unsigned char *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)
			        ->sin6_addr;
		if (!a || webhook_addr_refused(ai->ai_family, a))
			j->rc = 2;
	}
	freeaddrinfo(res);
}

/* The body's url names a host that resolves, and (unless COOPD_WEBHOOK_ALLOW_PRIVATE) only to
 * addresses coopd delivers to. Delivery checks the address it connects to again: a name's
 * answer may change. 0, or -1 with a field error on url. */
static int check_host(struct req *r, const char *url)
{
	struct webhook_url u;
	if (webhook_url_parse(url, &u, NULL) != 0)
		return err_internal(&r->err); /* the body check passed it */
	if (u.host_ip)
		return 0; /* an address: check_url judged it */
	struct resolve_job j = {u.host, app.cfg.webhook_allow_private, 0};
	if (run_with_stack(resolve_run, &j, BIGSTACK_BYTES) != 0)
		return err_internal(&r->err);
	if (j.rc == 1)
		err_field(&r->err, "url", "url_unresolvable", "names a host that does not resolve");
	else if (j.rc == 2)
		err_field(&r->err, "url", "url_not_allowed",
		          "names a host that resolves to a loopback, private, link-local or "
		          "otherwise internal address");
	return j.rc ? -1 : 0;
}

/* The body's url as stored: its scheme in lower case (HTTPS://x is https://x); to free. NULL
 * when the body has none, or out of memory (then with r->err). */
static char *stored_url(struct req *r)
{
	const char *url = body_str(r, "url");
	char *u = url ? strdup(url) : NULL;
	if (url && !u) {
		err_internal(&r->err);
		return NULL;
	}
	for (char *p = u; p && *p && *p != ':'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return u;
}

/* ---- what the audit trail records -------------------------------------------------------- */

/* The fields of a body that the audit event records: the URL without its query (receivers
 * put tokens there), the events, the description, enabled; never the secret. Owned. */
static json_t *audit_changes(struct req *r)
{
	json_t *c = json_object();
	const char *url = body_str(r, "url");
	if (url) {
		size_t n = strcspn(url, "?");
		char *shown = malloc(n + 2);
		if (shown) {
			memcpy(shown, url, n);
			shown[n] = url[n] ? '?' : '\0';
			shown[n + 1] = '\0';
			json_object_set_new(c, "url", json_string(shown));
			free(shown);
		}
	}
	static const char *const keys[] = {"events", "description", "enabled"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(r->body, keys[i]);
		if (v)
			json_object_set(c, keys[i], v);
	}
	return c;
}

/* The body's events as a PostgreSQL array text ('{a,b}'), or NULL when it has none; to free.
 * The names are checked (letters, '.', '_'): nothing to quote. */
static char *events_array(struct req *r)
{
	json_t *ev = json_object_get(r->body, "events");
	if (!json_is_array(ev))
		return NULL;
	struct sbuf b = {0};
	sbuf_puts(&b, "{");
	size_t i;
	json_t *item;
	json_array_foreach(ev, i, item)
	{
		if (i)
			sbuf_puts(&b, ",");
		sbuf_puts(&b, json_string_value(item));
	}
	sbuf_puts(&b, "}");
	if (b.oom) {
		sbuf_free(&b);
		return NULL;
	}
	return b.data;
}

/* ---- handlers ----------------------------------------------------------------------------- */

int webhooks_list(struct req *r)
{
	char coop[64], muni[16], enabled[8];
	int has_coop = req_query_id(r, "cooperative_id", coop, sizeof coop);
	if (has_coop < 0)
		return -1;
	int has_muni = req_query(r, "municipality_code", muni, sizeof muni);
	if (has_muni < 0 || (has_muni && !municipality_code_valid(muni))) {
		err_set(&r->err, 400, "invalid_parameter", "municipality_code is not a CBS code");
		return -1;
	}
	int has_enabled = req_query_bool(r, "enabled", enabled, sizeof enabled);
	if (has_enabled < 0)
		return -1;
	const char *f[] = {scope_cooperative(r), scope_municipality(r), has_coop ? coop : NULL,
	                   has_muni ? muni : NULL, has_enabled ? enabled : NULL};
	return list_query(r, &hook_list, 5, f);
}

int webhooks_get(struct req *r)
{
	const char *p[] = {r->params[0], scope_cooperative(r), scope_municipality(r)};
	return get_one(r, &hook_get, 3, p);
}

int webhooks_create(struct req *r)
{
	/* webhooks_create_check has run (routes.c): the owner fields fit the caller's role. */
	const char *coop = body_str(r, "cooperative_id");
	const char *muni = body_str(r, "municipality_code");
	if (r->who.role == ROLE_COOP_ADMIN)
		coop = r->who.coop;
	else if (r->who.role == ROLE_MUNICIPALITY)
		muni = r->who.municipality;
	if (coop) {
		const char *p[] = {coop};
		if (require_ref(r, &coop_exists, 1, p, "cooperative_id") != 0)
			return -1;
	} else {
		const char *p[] = {muni};
		if (require_ref(r, &municipality_exists, 1, p, "municipality_code") != 0 ||
		    check_municipal_events(r) != 0)
			return -1;
	}
	if (check_host(r, body_str(r, "url")) != 0)
		return -1;
	char *url = stored_url(r);
	if (!url)
		return -1;

	unsigned char key[WEBHOOK_KEY_BYTES];
	char secret[WEBHOOK_SECRET_LEN];
	char *events = events_array(r);
	if (RAND_bytes(key, sizeof key) != 1 ||
	    webhook_secret_format(key, sizeof key, secret, sizeof secret) != 0 || !events) {
		free(url);
		free(events);
		return err_internal(&r->err);
	}
	const char *p[] = {coop, muni, url, events, body_str(r, "description"), secret, r->who.sub};
	PGresult *res = db_exec(r->db, &hook_insert, 7, p, &r->err);
	OPENSSL_cleanse(key, sizeof key);
	free(url);
	free(events);
	if (!res)
		return -1;
	json_error_t je;
	json_t *doc = json_loads(db_col(res, 0, "doc"), 0, &je);
	char id[ID_LEN];
	db_col_copy(res, 0, "id", id, sizeof id);
	resp_set_etag(r, db_col(res, 0, "row_version"));
	PQclear(res);
	if (!doc)
		return err_internal(&r->err);
	json_t *changes = audit_changes(r);
	json_object_set_new(changes, "cooperative_id", coop ? json_string(coop) : json_null());
	json_object_set_new(changes, "municipality_code", muni ? json_string(muni) : json_null());
	int rc = audit_record(r, coop, muni, "webhook.create", "webhook", id, changes);
	json_decref(changes);
	if (rc != 0) {
		json_decref(doc);
		return -1;
	}
	resp_set_location(r, "/v1/webhooks", id);
	/* The secret is shown once: the idempotency record keeps the response without it. */
	r->idem_body = json_dumps(doc, JSON_COMPACT);
	json_object_set_new(doc, "secret", json_string(secret));
	OPENSSL_cleanse(secret, sizeof secret);
	return resp_json(r, 201, doc);
}

int webhooks_patch(struct req *r)
{
	PGresult *row;
	const char *lp[] = {r->params[0], scope_cooperative(r), scope_municipality(r)};
	if (lock_one(r, &hook_lock, 3, lp, &row) != 0)
		return -1;
	char coop[ID_LEN], muni[8];
	db_col_copy(row, 0, "cooperative_id", coop, sizeof coop);
	db_col_copy(row, 0, "municipality_code", muni, sizeof muni);
	int was_enabled = db_col_true(row, 0, "enabled");
	PQclear(row);
	if (muni[0] && check_municipal_events(r) != 0)
		return -1;
	if (body_str(r, "url") && check_host(r, body_str(r, "url")) != 0)
		return -1;
	char *url = stored_url(r);
	if (!url && r->err.status)
		return -1;
	char *events = events_array(r);
	if (!events && json_object_get(r->body, "events")) {
		free(url);
		return err_internal(&r->err);
	}
	json_t *enabled = json_object_get(r->body, "enabled");
	const char *p[] = {r->params[0],
	                   url,
	                   events,
	                   json_object_get(r->body, "description") ? "true" : "false",
	                   body_str(r, "description"),
	                   json_is_boolean(enabled) ? (json_is_true(enabled) ? "true" : "false")
	                                            : NULL};
	json_t *changes = audit_changes(r);
	struct write_info w = {"webhook.update", "webhook", coop[0] ? coop : NULL,
	                       muni[0] ? muni : NULL};
	int rc = write_one(r, &hook_update, 6, p, 200, NULL, &w, changes);
	json_decref(changes);
	free(events);
	free(url);
	if (rc == 0 && !was_enabled && json_is_true(enabled)) {
		const char *q[] = {r->params[0]};
		PGresult *res = db_exec(r->db, &hook_resume, 1, q, &r->err);
		rc = res ? 0 : -1;
		PQclear(res);
	}
	return rc;
}

int webhooks_delete(struct req *r)
{
	PGresult *row;
	const char *lp[] = {r->params[0], scope_cooperative(r), scope_municipality(r)};
	if (lock_one(r, &hook_lock_delete, 3, lp, &row) != 0)
		return -1;
	char coop[ID_LEN], muni[8];
	db_col_copy(row, 0, "cooperative_id", coop, sizeof coop);
	db_col_copy(row, 0, "municipality_code", muni, sizeof muni);
	PQclear(row);
	const char *p[] = {r->params[0]};
	PGresult *res = db_exec(r->db, &hook_delete, 1, p, &r->err);
	if (!res)
		return -1;
	PQclear(res);
	resp_empty(r, 204);
	return audit_record(r, coop[0] ? coop : NULL, muni[0] ? muni : NULL, "webhook.delete",
	                    "webhook", r->params[0], NULL);
}

int webhooks_deliveries(struct req *r)
{
	char status[16];
	int has_status = req_query(r, "status", status, sizeof status);
	if (has_status < 0 ||
	    (has_status && strcmp(status, "pending") != 0 && strcmp(status, "delivered") != 0)) {
		err_set(&r->err, 400, "invalid_parameter", "status must be pending or delivered");
		return -1;
	}
	const char *p[] = {r->params[0], scope_cooperative(r), scope_municipality(r)};
	if (require_row(r, &hook_visible, 3, p) != 0)
		return -1;
	const char *f[] = {r->params[0], has_status ? status : NULL};
	return list_query(r, &delivery_list, 2, f);
}
