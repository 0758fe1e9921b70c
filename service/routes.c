/* Every endpoint of coopd, in one table: method, path, handler, roles, flags, body fields, and
 * the body's own checks (router.h).
 * The role check here is the first gate (403); scope is checked on every object (404). */
#include "auth/principal.h"
#include "domain/audit.h"
#include "domain/auditfile.h"
#include "domain/auth_tokens.h"
#include "domain/bank.h"
#include "domain/cooperatives.h"
#include "domain/customers.h"
#include "domain/docs.h"
#include "domain/expenses.h"
#include "domain/fee_policies.h"
#include "domain/finances.h"
#include "domain/hours.h"
#include "domain/invoice_documents.h"
#include "domain/invoices.h"
#include "domain/ledger.h"
#include "domain/members.h"
#include "domain/municipal_view.h"
#include "domain/municipalities.h"
#include "domain/payments.h"
#include "domain/payouts.h"
#include "domain/permissions.h"
#include "domain/policies.h"
#include "domain/premiums.h"
#include "domain/rate_floors.h"
#include "domain/reconciliations.h"
#include "domain/settlement_feed.h"
#include "domain/settlements.h"
#include "domain/shareholders.h"
#include "domain/statutory.h"
#include "domain/system.h"
#include "domain/users.h"
#include "domain/vat_returns.h"
#include "domain/webhooks.h"
#include "http/router.h"

#define ADMINS        (R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN))
#define PLATFORM      R(ROLE_PLATFORM_ADMIN)
#define AUDIT_READERS (R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN) | R(ROLE_AUDITOR))
/* Reading a cooperative's records; writing members, permissions and customers. */
#define COOP_READERS                                                                               \
	(R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN) | R(ROLE_BOOKKEEPER) | R(ROLE_AUDITOR))
#define COOP_WRITERS      (R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN) | R(ROLE_BOOKKEEPER))
#define MEMBER_READERS    (COOP_READERS | R(ROLE_MEMBER))
#define MUNICIPAL_READERS (COOP_READERS | R(ROLE_MUNICIPALITY))
/* Drafts, expenses and hours: bookkeepers for any member, a member for itself. Issuing, deciding
 * and money: the office. */
#define DRAFTERS (COOP_WRITERS | R(ROLE_MEMBER))

/* Webhook subscriptions: a cooperative's administrator for its cooperative, a municipality for
 * itself, a platform admin for either (issue 14). */
#define WEBHOOK_OWNERS (R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN) | R(ROLE_MUNICIPALITY))

/* A route that takes no body leaves its last member, the body's fields, out. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct route routes[] = {
    /* platform */
    {"GET", "/v1/health", system_health, 0, RF_PUBLIC},
    {"GET", "/v1/ready", system_ready, 0, RF_PUBLIC},
    {"GET", "/metrics", system_metrics, 0, RF_PUBLIC | RF_TEXT},
    {"GET", "/v1/openapi.json", system_openapi_json, 0, RF_PUBLIC},
    {"GET", "/v1/openapi.yaml", system_openapi_yaml, 0, RF_PUBLIC | RF_YAML},
    {"GET", "/v1/docs", docs_page, 0, RF_PUBLIC | RF_HTML},
    {"GET", "/v1/docs/redoc.standalone.js", docs_script, 0, RF_PUBLIC | RF_JS},

    /* authentication and users */
    {"POST", "/v1/auth/token", auth_token, 0, RF_PUBLIC | RF_BODY, auth_token_fields},
    {"POST", "/v1/auth/logout", auth_logout, ROLES_ANY_AUTHENTICATED, 0},
    {"GET", "/v1/me", me_get, ROLES_ANY_AUTHENTICATED, 0},
    {"GET", "/v1/users", users_list, ADMINS, RF_CSV | RF_REPLICA},
    {"POST", "/v1/users", users_create, ADMINS, RF_IDEMPOTENT | RF_BODY, users_create_fields,
     users_create_check},
    {"GET", "/v1/users/{user_id:uuid}", users_get, ADMINS, 0},
    {"PATCH", "/v1/users/{user_id:uuid}", users_patch, ADMINS, RF_BODY, users_patch_fields},
    {"DELETE", "/v1/users/{user_id:uuid}", users_delete, ADMINS, 0},

    /* municipalities, their policies, statutory parameters */
    {"GET", "/v1/municipalities", municipalities_list, COOP_READERS, RF_REPLICA},
    {"POST", "/v1/municipalities", municipalities_create, PLATFORM, RF_IDEMPOTENT | RF_BODY,
     municipalities_create_fields},
    {"GET", "/v1/municipalities/{code:municipality}", municipalities_get, MUNICIPAL_READERS, 0},
    {"PATCH", "/v1/municipalities/{code:municipality}", municipalities_patch, PLATFORM, RF_BODY,
     municipalities_patch_fields},
    {"GET", "/v1/municipalities/{code:municipality}/policies", policies_list, MUNICIPAL_READERS,
     RF_REPLICA},
    {"POST", "/v1/municipalities/{code:municipality}/policies", policies_create,
     PLATFORM | R(ROLE_MUNICIPALITY), RF_IDEMPOTENT | RF_BODY, policies_create_fields,
     policies_create_check},
    {"GET", "/v1/municipalities/{code:municipality}/policies/{policy_id:uuid}", policies_get,
     MUNICIPAL_READERS, 0},
    {"GET", "/v1/statutory-parameters", statutory_list, ROLES_ANY_AUTHENTICATED, RF_REPLICA},
    {"POST", "/v1/statutory-parameters", statutory_create, PLATFORM, RF_IDEMPOTENT | RF_BODY,
     statutory_create_fields},
    {"GET", "/v1/statutory-parameters/{parameters_id:uuid}", statutory_get, ROLES_ANY_AUTHENTICATED,
     0},

    /* cooperatives and what belongs to them */
    {"GET", "/v1/cooperatives", cooperatives_list, MEMBER_READERS, RF_REPLICA},
    {"POST", "/v1/cooperatives", cooperatives_create, PLATFORM, RF_IDEMPOTENT | RF_BODY,
     cooperatives_create_fields, cooperatives_create_check},
    {"GET", "/v1/cooperatives/{coop_id:uuid}", cooperatives_get, MEMBER_READERS, 0},
    {"PATCH", "/v1/cooperatives/{coop_id:uuid}", cooperatives_patch, ADMINS, RF_BODY,
     cooperatives_patch_fields, cooperatives_patch_check},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/fee-policies", fee_policies_list, COOP_READERS,
     RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/fee-policies", fee_policies_create, ADMINS,
     RF_IDEMPOTENT | RF_BODY, fee_policies_create_fields, fee_policies_create_check},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/fee-policies/{policy_id:uuid}", fee_policies_get,
     COOP_READERS, 0},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/shareholders", shareholders_list, COOP_READERS,
     RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/shareholders", shareholders_create, ADMINS,
     RF_IDEMPOTENT | RF_BODY, shareholders_create_fields, shareholders_create_check},
    {"GET", "/v1/shareholders/{shareholder_id:uuid}", shareholders_get, COOP_READERS, 0},
    {"PATCH", "/v1/shareholders/{shareholder_id:uuid}", shareholders_patch, ADMINS, RF_BODY,
     shareholders_patch_fields},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/rate-floors", rate_floors_list, COOP_READERS,
     RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/rate-floors", rate_floors_create, ADMINS,
     RF_IDEMPOTENT | RF_BODY, rate_floors_create_fields, rate_floors_create_check},
    {"GET", "/v1/rate-floors/{rate_floor_id:uuid}", rate_floors_get, COOP_READERS, 0},
    {"PATCH", "/v1/rate-floors/{rate_floor_id:uuid}", rate_floors_patch, ADMINS, RF_BODY,
     rate_floors_patch_fields},
    {"DELETE", "/v1/rate-floors/{rate_floor_id:uuid}", rate_floors_delete, ADMINS, 0},

    /* members, permissions, customers */
    {"GET", "/v1/cooperatives/{coop_id:uuid}/members", members_list, COOP_READERS,
     RF_CSV | RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/members", members_create, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, members_create_fields, members_create_check},
    {"GET", "/v1/members/{member_id:uuid}", members_get, MEMBER_READERS, 0},
    {"PATCH", "/v1/members/{member_id:uuid}", members_patch, COOP_WRITERS, RF_BODY,
     members_patch_fields, members_patch_check},
    {"GET", "/v1/members/{member_id:uuid}/permissions", permissions_list, MEMBER_READERS,
     RF_REPLICA},
    {"POST", "/v1/members/{member_id:uuid}/permissions", permissions_create, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, permissions_create_fields, permissions_create_check},
    {"GET", "/v1/permissions/{permission_id:uuid}", permissions_get, MEMBER_READERS, 0},
    {"POST", "/v1/permissions/{permission_id:uuid}/revoke", permissions_revoke, COOP_WRITERS,
     RF_BODY, permissions_revoke_fields},
    /* members too: they choose a customer for their drafts (customers.c says what they see) */
    {"GET", "/v1/cooperatives/{coop_id:uuid}/customers", customers_list, MEMBER_READERS,
     RF_CSV | RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/customers", customers_create, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, customers_create_fields, customers_create_check},
    {"GET", "/v1/customers/{customer_id:uuid}", customers_get, COOP_READERS, 0},
    {"PATCH", "/v1/customers/{customer_id:uuid}", customers_patch, COOP_WRITERS, RF_BODY,
     customers_patch_fields, customers_patch_check},

    /* members' money besides invoices: expenses, hours, premiums */
    {"GET", "/v1/members/{member_id:uuid}/expenses", expenses_list, MEMBER_READERS, RF_REPLICA},
    {"POST", "/v1/members/{member_id:uuid}/expenses", expenses_create, DRAFTERS,
     RF_IDEMPOTENT | RF_BODY, expenses_create_fields, expenses_create_check},
    {"GET", "/v1/expenses/{expense_id:uuid}", expenses_get, MEMBER_READERS, 0},
    {"POST", "/v1/expenses/{expense_id:uuid}/approve", expenses_approve, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY_OPTIONAL, expenses_approve_fields},
    {"POST", "/v1/expenses/{expense_id:uuid}/reject", expenses_reject, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, expenses_reject_fields},
    {"GET", "/v1/members/{member_id:uuid}/hours", hours_list, MEMBER_READERS, RF_REPLICA},
    {"POST", "/v1/members/{member_id:uuid}/hours", hours_create, DRAFTERS, RF_IDEMPOTENT | RF_BODY,
     hours_create_fields, hours_create_check},
    {"GET", "/v1/hours/{hours_id:uuid}", hours_get, MEMBER_READERS, 0},
    {"PATCH", "/v1/hours/{hours_id:uuid}", hours_patch, DRAFTERS, RF_BODY, hours_patch_fields,
     hours_patch_check},
    {"GET", "/v1/members/{member_id:uuid}/premiums", premiums_list, MEMBER_READERS, RF_REPLICA},
    {"POST", "/v1/members/{member_id:uuid}/premiums", premiums_create, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, premiums_create_fields},
    {"GET", "/v1/premiums/{premium_id:uuid}", premiums_get, MEMBER_READERS, 0},

    /* the municipal view: the settlement feed and its acknowledgements */
    {"GET", "/v1/municipalities/{code:municipality}/settlements", settlement_feed_list,
     PLATFORM | R(ROLE_MUNICIPALITY), RF_CSV | RF_LOGGED | RF_REPLICA},
    {"POST", "/v1/municipalities/{code:municipality}/settlements/{row_id:uuid}/acknowledgement",
     settlement_feed_acknowledge, PLATFORM | R(ROLE_MUNICIPALITY), RF_IDEMPOTENT},
    /* the municipal view: overview, residents, a cooperative's transparency, reconciliations */
    {"GET", "/v1/municipalities/{code:municipality}/overview", municipal_view_overview,
     PLATFORM | R(ROLE_MUNICIPALITY), RF_REPLICA},
    {"GET", "/v1/municipalities/{code:municipality}/residents", municipal_view_residents,
     PLATFORM | R(ROLE_MUNICIPALITY), RF_CSV | RF_LOGGED | RF_REPLICA},
    {"GET", "/v1/municipalities/{code:municipality}/cooperatives/{coop_id:uuid}",
     municipal_view_cooperative, PLATFORM | R(ROLE_MUNICIPALITY), RF_LOGGED},
    {"GET", "/v1/municipalities/{code:municipality}/reconciliations",
     municipal_view_reconciliations, PLATFORM | R(ROLE_MUNICIPALITY),
     RF_CSV | RF_LOGGED | RF_REPLICA},

    /* the members' ledgers, payouts, collective costs and the cooperative's finances */
    {"GET", "/v1/members/{member_id:uuid}/ledger", ledger_list, MEMBER_READERS,
     RF_CSV | RF_REPLICA},
    {"GET", "/v1/ledger-entries/{entry_id:uuid}", ledger_entries_get, MEMBER_READERS, 0},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/payouts", payouts_list, COOP_READERS, RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/payouts", payouts_create, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, payouts_create_fields, payouts_create_check},
    {"GET", "/v1/payouts/{payout_id:uuid}", payouts_get, COOP_READERS, 0},
    {"GET", "/v1/payouts/{payout_id:uuid}/sepa", payouts_sepa, COOP_READERS, RF_XML},
    {"POST", "/v1/payouts/{payout_id:uuid}/cancel", payouts_cancel, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, payouts_cancel_fields},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/collective-costs", collective_costs_list, COOP_READERS,
     RF_CSV | RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/collective-costs", collective_costs_create,
     COOP_WRITERS, RF_IDEMPOTENT | RF_BODY, collective_costs_create_fields},
    {"GET", "/v1/collective-costs/{cost_id:uuid}", collective_costs_get, COOP_READERS, 0},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/finances", finances_get, COOP_READERS, RF_REPLICA},

    /* issue 14, the XAF audit file: the cooperative's books of a year, streamed */
    {"GET", "/v1/cooperatives/{coop_id:uuid}/auditfile", auditfile_get, COOP_READERS,
     RF_XML | RF_REPLICA},

    /* the monthly settlement (thermometer) and the annual reconciliation */
    {"POST", "/v1/cooperatives/{coop_id:uuid}/settlements/{period:period}", settlements_calculate,
     COOP_WRITERS, RF_IDEMPOTENT},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/settlements/{period:period}", settlements_list,
     COOP_READERS, RF_CSV | RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/settlements/{period:period}/finalize",
     settlements_finalize, COOP_WRITERS, RF_IDEMPOTENT},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/settlements/{period:period}/corrections",
     settlements_correct, COOP_WRITERS, RF_IDEMPOTENT | RF_BODY, settlements_correct_fields},
    {"GET", "/v1/members/{member_id:uuid}/thermometer/{period:period}", thermometer_get,
     MEMBER_READERS, 0},
    {"GET", "/v1/members/{member_id:uuid}/thermometer/{period:period}/pdf", thermometer_pdf,
     MEMBER_READERS, RF_PDF},
    {"POST", "/v1/members/{member_id:uuid}/reconciliations/{year:year}", reconciliations_calculate,
     COOP_WRITERS, RF_IDEMPOTENT | RF_BODY, reconciliations_calculate_fields},
    {"GET", "/v1/members/{member_id:uuid}/reconciliations/{year:year}", reconciliations_get,
     MEMBER_READERS, 0},
    {"POST", "/v1/members/{member_id:uuid}/reconciliations/{year:year}/finalize",
     reconciliations_finalize, COOP_WRITERS, RF_IDEMPOTENT},

    /* invoicing through the cooperative */
    {"GET", "/v1/cooperatives/{coop_id:uuid}/invoices", invoices_list, MEMBER_READERS,
     RF_CSV | RF_REPLICA},
    {"POST", "/v1/cooperatives/{coop_id:uuid}/invoices", invoices_create, DRAFTERS,
     RF_IDEMPOTENT | RF_BODY, invoices_create_fields},
    {"GET", "/v1/invoices/{invoice_id:uuid}", invoices_get, MEMBER_READERS, 0},
    {"PATCH", "/v1/invoices/{invoice_id:uuid}", invoices_patch, DRAFTERS, RF_BODY,
     invoices_patch_fields},
    {"DELETE", "/v1/invoices/{invoice_id:uuid}", invoices_delete, DRAFTERS, 0},
    {"POST", "/v1/invoices/{invoice_id:uuid}/submit", invoices_submit, DRAFTERS, 0},
    {"POST", "/v1/invoices/{invoice_id:uuid}/issue", invoices_issue, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY_OPTIONAL, invoices_issue_fields},
    {"POST", "/v1/invoices/{invoice_id:uuid}/credit-notes", invoices_credit, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, invoices_credit_fields},
    {"GET", "/v1/invoices/{invoice_id:uuid}/payments", payments_list, MEMBER_READERS, RF_REPLICA},
    {"POST", "/v1/invoices/{invoice_id:uuid}/payments", payments_create, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, payments_create_fields},
    {"GET", "/v1/payments/{payment_id:uuid}", payments_get, COOP_READERS, 0},
    {"GET", "/v1/invoices/{invoice_id:uuid}/pdf", invoices_pdf, MEMBER_READERS, RF_PDF},
    {"GET", "/v1/invoices/{invoice_id:uuid}/ubl", invoices_ubl, MEMBER_READERS, RF_XML},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/vat-returns/{quarter:quarter}", vat_returns_get,
     COOP_READERS, RF_REPLICA},

    /* bank statements (CAMT.053) and their entries (issue 14, bank statement import) */
    {"POST", "/v1/cooperatives/{coop_id:uuid}/bank-statements", bank_statements_import,
     COOP_WRITERS, RF_IDEMPOTENT | RF_XML_BODY},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/bank-statements", bank_statements_list,
     COOP_READERS, RF_REPLICA},
    {"GET", "/v1/bank-statements/{statement_id:uuid}", bank_statements_get, COOP_READERS, 0},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/bank-entries", bank_entries_list, COOP_READERS,
     RF_CSV | RF_REPLICA},
    {"GET", "/v1/bank-entries/{bank_entry_id:uuid}", bank_entries_get, COOP_READERS, 0},
    {"POST", "/v1/bank-entries/{bank_entry_id:uuid}/assign", bank_entries_assign, COOP_WRITERS,
     RF_IDEMPOTENT | RF_BODY, bank_entries_assign_fields},
    {"POST", "/v1/bank-entries/{bank_entry_id:uuid}/dismiss", bank_entries_dismiss,
     COOP_WRITERS, RF_IDEMPOTENT | RF_BODY, bank_entries_dismiss_fields},

    /* audit */
    {"GET", "/v1/audit-events", audit_list_platform, PLATFORM, RF_REPLICA},
    {"GET", "/v1/audit-events/verify", audit_verify_platform, PLATFORM, RF_REPLICA},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/audit-events", audit_list_coop, AUDIT_READERS,
     RF_REPLICA},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/audit-events/verify", audit_verify_coop, AUDIT_READERS,
     RF_REPLICA},
    {"GET", "/v1/municipalities/{code:municipality}/audit-events", audit_list_municipality,
     PLATFORM | R(ROLE_MUNICIPALITY), RF_REPLICA},

    /* webhooks (issue 14, part h-hooks): subscriptions and their delivery logs */
    {"GET", "/v1/webhooks", webhooks_list, WEBHOOK_OWNERS, RF_REPLICA},
    {"POST", "/v1/webhooks", webhooks_create, WEBHOOK_OWNERS, RF_IDEMPOTENT | RF_BODY,
     webhooks_create_fields, webhooks_create_check},
    {"GET", "/v1/webhooks/{webhook_id:uuid}", webhooks_get, WEBHOOK_OWNERS, 0},
    {"PATCH", "/v1/webhooks/{webhook_id:uuid}", webhooks_patch, WEBHOOK_OWNERS, RF_BODY,
     webhooks_patch_fields, webhooks_patch_check},
    {"DELETE", "/v1/webhooks/{webhook_id:uuid}", webhooks_delete, WEBHOOK_OWNERS, 0},
    {"GET", "/v1/webhooks/{webhook_id:uuid}/deliveries", webhooks_deliveries, WEBHOOK_OWNERS,
     RF_REPLICA},
};

const size_t route_count = sizeof routes / sizeof routes[0];
