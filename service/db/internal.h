/* Shared between the files of db/ only (pool.c, sqlerror.c); nothing outside db/ includes it.
 * Owns nothing. */
#ifndef COOPD_DB_INTERNAL_H
#define COOPD_DB_INTERNAL_H

/* Counts an unexpected database failure (exported as a metric by db_error_count). */
void db_count_error(void);

#endif
