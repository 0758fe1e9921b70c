/* A cooperative's VAT return (btw-aangifte) for one quarter, computed by the SQL function
 * vat_return from the issued invoices and credit notes. Read-only.
 *
 * Route handler (http.h): returns 0 with the response set, or -1 with r->err set. */
#ifndef COOPD_VAT_RETURNS_H
#define COOPD_VAT_RETURNS_H

#include "http/http.h"

int vat_returns_get(struct req *r);

#endif
