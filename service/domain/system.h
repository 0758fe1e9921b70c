/* Health, readiness, metrics and the OpenAPI document. */
#ifndef COOPD_SYSTEM_H
#define COOPD_SYSTEM_H

#include <stdbool.h>

#include "http/http.h"

int system_health(struct req *r);
int system_ready(struct req *r);
int system_metrics(struct req *r);
int system_openapi_json(struct req *r);
int system_openapi_yaml(struct req *r);

/* Set when SIGTERM arrived: /v1/ready answers 503 so a balancer stops sending traffic. */
void system_set_draining(void);

#endif
