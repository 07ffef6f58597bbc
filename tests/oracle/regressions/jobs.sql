-- Queries a job once answered wrong (or that stand for a plan shape that was wrong),
-- over the generated tables of querygen.py (t1, t2, t3, e). test_differential.py runs
-- each directly and as jobs against DuckDB. Add every query the generator finds.

-- q13's shape: a LEFT join with a broadcast (collect-left) build side lost the build
-- rows no probe task matched.
SELECT a.id AS c0, count(b.id) AS c1 FROM t3 a LEFT JOIN t1 b ON a.k = b.k GROUP BY a.id;

-- q04's shape: EXISTS as a left semi join with a broadcast build side returned 0 rows.
SELECT a.id AS c0 FROM t3 a WHERE EXISTS (SELECT 1 FROM t1 b WHERE b.k = a.k);

-- q22's shape: NOT EXISTS as a left anti join.
SELECT a.id AS c0 FROM t3 a WHERE NOT EXISTS (SELECT 1 FROM t2 b WHERE b.k = a.k);

-- Found by the generator (seed 20261201) before the fix, one per root cause.

-- A FULL join, broadcast: the build rows no probe task matched were lost.
SELECT a.id AS c0, b.id AS c1, a.k AS c2, b.g AS c3 FROM t1 a FULL JOIN t2 b ON a.k = b.k;

-- A RIGHT join swapped into a LEFT join with the small side built.
SELECT a.g AS c0, count(*) AS c1, count(b.id) AS c2, count(a.id) AS c3, sum(a.v) AS c4, max(b.x) AS c5 FROM t2 a RIGHT JOIN t3 b ON a.k = b.k GROUP BY a.g;

-- EXISTS in a disjunction: a left mark join, broadcast.
SELECT a.id AS c0, a.k AS c1 FROM t3 a WHERE (EXISTS (SELECT 1 FROM t1 b WHERE b.k = a.k) OR a.g = 'b');

-- INTERSECT / EXCEPT (distinct) are semi / anti joins.
SELECT k AS c0 FROM t3 INTERSECT SELECT k FROM t1;
SELECT g AS c0, k AS c1 FROM t3 EXCEPT SELECT g, k FROM t1;

-- A correlated scalar subquery: a left join against the grouped subquery.
SELECT a.id AS c0 FROM t3 a WHERE a.v > (SELECT avg(b.v) FROM t3 b WHERE b.g = a.g);

-- A LEFT join without equal keys: a nested-loop join kept unmatched rows per task.
SELECT a.id AS c0, b.id AS c1 FROM t3 a LEFT JOIN t3 b ON a.k > b.k;
SELECT a.id AS c0, count(b.id) AS c1, min(b.x) AS c2 FROM t2 a RIGHT JOIN t3 b ON a.k > b.k GROUP BY a.id;

-- NOT IN: a null-aware anti join, whose "the subquery had a NULL" was per task.
SELECT a.id AS c0, a.k AS c1 FROM t2 a WHERE a.k NOT IN (SELECT b.k FROM t3 b WHERE b.x > 40) AND a.k IS NOT NULL;

-- An uncorrelated scalar subquery of several rows: as a join it multiplied the outer
-- rows; it must fail, as in one process and in DuckDB.
SELECT a.id AS c0 FROM t1 a WHERE a.k = (SELECT b.k FROM t3 b WHERE b.x < 30);

-- A CTE used twice, with IN in a disjunction (mark joins over the same scan).
WITH c AS (SELECT id, g, k FROM t2 WHERE id % 2 = 0) SELECT count(*) AS c0, count(k) AS c1 FROM c WHERE k IN (SELECT k FROM c WHERE g = 'a') OR id IN (SELECT id + 2 FROM c);

-- A limit under a broadcast build side: the limit is over all partitions, not per task.
SELECT a.id AS c0, b.id AS c1 FROM (SELECT * FROM t2 ORDER BY id LIMIT 5) b JOIN t1 a ON a.k = b.k;
SELECT a.id AS c0, b.id AS c1 FROM t1 a JOIN (SELECT * FROM t3 LIMIT 400) b ON a.k = b.k;

-- DataFusion's own wrong answers, refused in one process and as jobs alike:
-- NOT IN under OR (a mark join has no NULL), and INTERSECT ALL / EXCEPT ALL.
SELECT a.id AS c0, a.k AS c1 FROM t1 a WHERE (a.k NOT IN (SELECT b.k FROM t1 b) OR a.v > 20);
SELECT g AS c0, k AS c1 FROM t2 INTERSECT ALL SELECT g, k FROM t1;
SELECT k AS c0 FROM t2 EXCEPT ALL SELECT k FROM t3;
