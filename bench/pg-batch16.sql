-- PostgreSQL alone, the write shape of sixteen batched tracks: one transaction of sixteen (UPDATE + INSERT).
-- Run against a pgbench-initialised database (pgbench -i -s 4); see bench/RESULTS.md, P5.
BEGIN;
\set a0 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a0;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a0, 1, CURRENT_TIMESTAMP);
\set a1 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a1;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a1, 1, CURRENT_TIMESTAMP);
\set a2 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a2;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a2, 1, CURRENT_TIMESTAMP);
\set a3 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a3;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a3, 1, CURRENT_TIMESTAMP);
\set a4 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a4;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a4, 1, CURRENT_TIMESTAMP);
\set a5 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a5;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a5, 1, CURRENT_TIMESTAMP);
\set a6 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a6;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a6, 1, CURRENT_TIMESTAMP);
\set a7 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a7;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a7, 1, CURRENT_TIMESTAMP);
\set a8 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a8;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a8, 1, CURRENT_TIMESTAMP);
\set a9 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a9;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a9, 1, CURRENT_TIMESTAMP);
\set a10 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a10;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a10, 1, CURRENT_TIMESTAMP);
\set a11 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a11;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a11, 1, CURRENT_TIMESTAMP);
\set a12 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a12;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a12, 1, CURRENT_TIMESTAMP);
\set a13 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a13;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a13, 1, CURRENT_TIMESTAMP);
\set a14 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a14;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a14, 1, CURRENT_TIMESTAMP);
\set a15 random(1, 400000)
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :a15;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :a15, 1, CURRENT_TIMESTAMP);
END;
