-- Plans that change by themselves (a scheduled start, an end at the cycle's end or a trial's end) must be found by
-- the sweeper for customers nobody loads: their next due moment is kept beside the JSON row, indexed.
ALTER TABLE customer_plans ADD COLUMN due_at bigint;

CREATE INDEX customer_plans_due ON customer_plans (due_at) WHERE due_at IS NOT NULL;
