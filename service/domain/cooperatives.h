/* Cooperatives (coöperaties) and what belongs to them directly: fee policies, social
 * shareholders and rate floors. */
#ifndef COOPD_COOPERATIVES_H
#define COOPD_COOPERATIVES_H

#include "http/http.h"

int cooperatives_list(struct req *r);
int cooperatives_create(struct req *r);
int cooperatives_get(struct req *r);
int cooperatives_patch(struct req *r);
int fee_policies_list(struct req *r);
int fee_policies_create(struct req *r);
int fee_policies_get(struct req *r);
int shareholders_list(struct req *r);
int shareholders_create(struct req *r);
int shareholders_get(struct req *r);
int shareholders_patch(struct req *r);
int rate_floors_list(struct req *r);
int rate_floors_create(struct req *r);
int rate_floors_get(struct req *r);
int rate_floors_patch(struct req *r);
int rate_floors_delete(struct req *r);

#endif
