"""Distributed mode: many workers on many machines share one crawl per site through Redis.

Loaded only when `REDIS_URL` is set (crawler/settings.py, "Distributed mode"); without it nothing
here is imported and Redis is not needed. The queue and the duplicate filter are scrapy-redis's;
this module adds what a cron-driven fleet of workers needs around them:

- **Rounds.** The first worker to start on a site opens a round: `SET <prefix>:<site>:round <id>
  NX` succeeds for it alone, so it alone seeds the section pages (`SeedOncePerRound`); workers that
  start while the round is open join it and only consume. The round's duplicate filter is keyed
  by the round id, so each URL is scheduled once per round across all workers, and the next round
  starts with an empty filter and sees the new articles on the same section URLs.
- **In-flight requests survive a dead worker.** A request is moved from the shared queue into the
  worker's in-flight hash in one atomic step (a Lua script) and leaves it only once the engine has
  finished with it: response parsed, new requests queued, item stored. Each worker keeps a
  heartbeat key alive; any worker that sees a heartbeat expire moves that worker's in-flight
  requests back into the queue, again atomically. In distributed mode `STORE_BATCH_SIZE` defaults
  to 1, so "item processed" means "item in the database".
- **Idle close.** A worker closes once the shared queue has been empty, and no worker has had a
  request in flight, for `SCHEDULER_IDLE_BEFORE_CLOSE` seconds; the last one out ends the round
  (deletes the round key and the round's duplicate filter). A worker stopped earlier (time limit)
  leaves the round open, and the next worker started joins it and carries on.
- **One run record per round** (`RoundRunRecorder`): `run_id` is the round id, each worker writes
  its own figures under `workers.<worker id>`, and the round's totals and verdict are recomputed
  by every worker that closes.

Redis keys, per site (`REDIS_KEY_PREFIX` defaults to `newscrawl`): `<prefix>:<site>:requests`
(the scrapy-redis priority queue), `<prefix>:<site>:dupefilter:<round>`, `<prefix>:<site>:round`,
`<prefix>:<site>:workers` (a set), `<prefix>:<site>:alive:<worker>` (heartbeat, expires after
`REDIS_WORKER_TIMEOUT` s) and `<prefix>:<site>:inflight:<worker>` (a hash).

Stats: distributed/round, distributed/worker, distributed/seeded, distributed/recovered (requests
of dead workers put back in the queue by this one), distributed/recovered_from/<worker>,
distributed/round_ended, distributed/redis_errors.
"""

