/* The authenticated caller of a request: who, in which role, with which scope. */
#ifndef COOPD_PRINCIPAL_H
#define COOPD_PRINCIPAL_H

enum role {
	ROLE_NONE = 0,
	ROLE_PLATFORM_ADMIN,
	ROLE_COOP_ADMIN,
	ROLE_BOOKKEEPER,
	ROLE_AUDITOR,
	ROLE_MEMBER,
	ROLE_MUNICIPALITY,
	ROLE_COUNT
};

/* Bit masks for route tables: R(ROLE_BOOKKEEPER) | R(ROLE_COOP_ADMIN). */
#define R(role) (1u << (role))
#define ROLES_ANY_AUTHENTICATED                                                                    \
	(R(ROLE_PLATFORM_ADMIN) | R(ROLE_COOP_ADMIN) | R(ROLE_BOOKKEEPER) | R(ROLE_AUDITOR) |      \
	 R(ROLE_MEMBER) | R(ROLE_MUNICIPALITY))

#define ID_LEN 37 /* canonical UUID text plus NUL */

struct principal {
	enum role role;
	char sub[ID_LEN];     /* user id */
	char coop[ID_LEN];    /* cooperative id, "" when none */
	char member[ID_LEN];  /* member id, "" when none */
	char municipality[8]; /* CBS code GMnnnn, "" when none */
	char jti[40];
	long long exp;
	long long
	    iat; /* issued at: tokens issued before a user's tokens were revoked are refused */
};

/* "platform_admin" ... ; NULL for ROLE_NONE/out of range. */
const char *role_name(enum role r);
/* ROLE_NONE when the name is unknown. */
enum role role_from_name(const char *name);

#endif
