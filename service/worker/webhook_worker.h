/* The webhook delivery worker (README "Webhooks"): COOPD_WEBHOOK_WORKERS threads, each with a
 * database connection of its own (not the request pool) and a libcurl handle. A thread claims
 * a due delivery (webhook_claim, FOR UPDATE SKIP LOCKED: instances share the work), signs and
 * POSTs it, records the attempt (webhook_record: delivered, or due again after a jittered
 * exponential backoff; a subscription failing for COOPD_WEBHOOK_DISABLE_AFTER_S is disabled),
 * and takes the next one. With nothing due it sleeps until the next delivery is due, a
 * notification on the channel coopd_webhooks (LISTEN; the outbox triggers NOTIFY at commit),
 * or COOPD_WEBHOOK_POLL_MS. The first thread also runs the periodic check at start and every
 * COOPD_WEBHOOK_CHECK_INTERVAL_S: permission.expiring events and the purge of old deliveries.
 *
 * Requests never wait for it: they only write the outbox. All its state is in PostgreSQL, so a
 * restart loses nothing; a delivery under way when coopd dies is due again once its lease (the
 * attempt's time limit and 5 s) has run out, with the same webhook-id (at least once).
 *
 * Threads wait until the database pool is ready (the migrations applied). Logs carry ids and
 * error codes only: never a secret, a URL's query or a payload. */
#ifndef COOPD_WEBHOOK_WORKER_H
#define COOPD_WEBHOOK_WORKER_H
#include <stddef.h>

/* Starts the threads (app.cfg: COOPD_WEBHOOK_*, DATABASE_URL). Call after curl_global_init and
 * before any thread of its own would need them. 0, or -1 with a message (no thread left
 * running). */
int webhook_workers_start(char *err, size_t errlen);
/* Asks the threads to stop (SIGTERM): each finishes the attempt under way (one that is still
 * running 5 s later is cut off and due again at once) and ends. Returns at once. */
void webhook_workers_stop(void);
/* Waits for the threads to end and releases what they held. */
void webhook_workers_join(void);

#endif
