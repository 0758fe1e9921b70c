/* Municipalities (gemeenten), their dated policies, and the national statutory parameters. */
#ifndef COOPD_MUNICIPALITIES_H
#define COOPD_MUNICIPALITIES_H

#include "http/http.h"

int municipalities_list(struct req *r);
int municipalities_create(struct req *r);
int municipalities_get(struct req *r);
int municipalities_patch(struct req *r);
int policies_list(struct req *r);
int policies_create(struct req *r);
int policies_get(struct req *r);
int statutory_list(struct req *r);
int statutory_create(struct req *r);
int statutory_get(struct req *r);

#endif
