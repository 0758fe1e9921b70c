/* Process-wide, read-only after start: configuration, signing keys, the API version. */
#ifndef COOPD_APP_H
#define COOPD_APP_H

#include "config.h"

struct token_keys;

struct app {
	struct config cfg;
	struct token_keys *keys;
	char api_version[32]; /* info.version of the embedded OpenAPI document */
};

extern struct app app;

#endif
