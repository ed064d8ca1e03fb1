-- HP-04 城市绿地面积: area of the union of park/protective/attached/regional green
-- (G11–G14, G2, XG, EG) and existing pocket parks, overlaps counted once, per community.
-- Written as a competent PostGIS user would: one GiST-backed join per layer (a join against a
-- UNION ALL subquery makes the planner skip the indexes), clip only the features that cross a
-- community border, then one ST_Union per community.
DROP TABLE IF EXISTS result_hp04;
CREATE TABLE result_hp04 AS
WITH parts AS (
    SELECT c.code,
           CASE WHEN ST_CoveredBy(g.geom, c.geom) THEN g.geom
                ELSE ST_Intersection(g.geom, c.geom) END AS geom
    FROM communities c
    JOIN green_spaces g ON ST_Intersects(g.geom, c.geom)
    WHERE g.class IN ('G11', 'G12', 'G13', 'G14', 'G2', 'XG', 'EG')
      AND (g.built_year IS NULL OR g.built_year <= :year)
    UNION ALL
    SELECT c.code,
           CASE WHEN ST_CoveredBy(p.geom, c.geom) THEN p.geom
                ELSE ST_Intersection(p.geom, c.geom) END
    FROM communities c
    JOIN pocket_parks p ON ST_Intersects(p.geom, c.geom)
    WHERE (p.status IS NULL OR p.status = 'existing')
      AND (p.built_year IS NULL OR p.built_year <= :year)
)
SELECT code, ST_Area(ST_Union(geom)) AS num, NULL::float8 AS den
FROM parts GROUP BY code;
