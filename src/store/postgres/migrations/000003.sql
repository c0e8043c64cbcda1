-- One dead letter per log event and job: a replay that has an event refused again updates its
-- letter (the new reason, one more attempt, pending again) instead of adding a second one.
-- Letters already doubled are the same event: the newest (its latest reason) is kept.
DELETE FROM dead_letters
WHERE id NOT IN (SELECT MAX(id) FROM dead_letters GROUP BY job, log_id);
CREATE UNIQUE INDEX dead_letters_log_id ON dead_letters (job, log_id);
