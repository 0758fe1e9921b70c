/* Members (leden) and their municipal permissions (toestemmingen); customers (klanten). */
#ifndef COOPD_MEMBERS_H
#define COOPD_MEMBERS_H

#include "http/http.h"

int members_list(struct req *r);
int members_create(struct req *r);
int members_get(struct req *r);
int members_patch(struct req *r);
int permissions_list(struct req *r);
int permissions_create(struct req *r);
int permissions_get(struct req *r);
int permissions_revoke(struct req *r);
int customers_list(struct req *r);
int customers_create(struct req *r);
int customers_get(struct req *r);
int customers_patch(struct req *r);

#endif
