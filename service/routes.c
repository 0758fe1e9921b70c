/* Every endpoint of coopd, in one table: method, path, handler, roles, flags.
 * The role check here is the first gate (403); scope is checked on every object (404). */
#include "auth/principal.h"
#include "domain/audit.h"
#include "domain/system.h"
#include "domain/users.h"
#include "http/router.h"

#define ADMINS        (R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN))
#define PLATFORM      R(ROLE_PLATFORM_ADMIN)
#define AUDIT_READERS (R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN) | R(ROLE_AUDITOR))

const struct route routes[] = {
    /* platform */
    {"GET", "/v1/health", system_health, 0, RF_PUBLIC},
    {"GET", "/v1/ready", system_ready, 0, RF_PUBLIC},
    {"GET", "/metrics", system_metrics, 0, RF_PUBLIC},
    {"GET", "/v1/openapi.json", system_openapi_json, 0, RF_PUBLIC},
    {"GET", "/v1/openapi.yaml", system_openapi_yaml, 0, RF_PUBLIC},

    /* authentication and users */
    {"POST", "/v1/auth/token", auth_token, 0, RF_PUBLIC | RF_BODY},
    {"GET", "/v1/me", me_get, ROLES_ANY_AUTHENTICATED, 0},
    {"GET", "/v1/users", users_list, ADMINS, RF_CSV},
    {"POST", "/v1/users", users_create, ADMINS, RF_IDEMPOTENT | RF_BODY},
    {"GET", "/v1/users/{user_id:uuid}", users_get, ADMINS, 0},
    {"PATCH", "/v1/users/{user_id:uuid}", users_patch, ADMINS, RF_TX | RF_BODY},
    {"DELETE", "/v1/users/{user_id:uuid}", users_delete, ADMINS, RF_TX},

    /* audit */
    {"GET", "/v1/audit-events", audit_list_platform, PLATFORM, 0},
    {"GET", "/v1/audit-events/verify", audit_verify_platform, PLATFORM, 0},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/audit-events", audit_list_coop, AUDIT_READERS, 0},
    {"GET", "/v1/cooperatives/{coop_id:uuid}/audit-events/verify", audit_verify_coop, AUDIT_READERS,
     0},
};

const size_t route_count = sizeof routes / sizeof routes[0];
