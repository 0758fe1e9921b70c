/* The API reference page: GET /v1/docs and the script it loads. */
#ifndef COOPD_DOCS_H
#define COOPD_DOCS_H

#include "http/http.h"

int docs_page(struct req *r);
int docs_script(struct req *r);

#endif
