-- STD-PARK-500 公园绿地、广场用地服务半径覆盖率 (preset gbt51346): residential land (landuse
-- code R*) within the service radius (straight line) of park green (G11–G14), squares (G3) or
-- existing pocket parks, ÷ residential land, per community. Touching parks are merged and the
-- merged park serves by its size: ≥ 5000 m² 500 m, 2000–5000 m² 300 m, ≥ 1000 m² 300 m when
-- its point on surface lies in a community of a historic street (psql variable :historic, a
-- quoted list), else nothing. Buffers with 32 segments per quarter circle, as peakmap
-- (gis.coverage.QUAD_SEGS).
DROP TABLE IF EXISTS result_park500;
CREATE TEMP TABLE res AS
SELECT c.code,
       ST_Union(CASE WHEN ST_CoveredBy(l.geom, c.geom) THEN l.geom
                     ELSE ST_Intersection(l.geom, c.geom) END) AS geom
FROM communities c
JOIN landuse l ON ST_Intersects(l.geom, c.geom)
WHERE upper(trim(l.code)) LIKE 'R%'
GROUP BY c.code;
CREATE INDEX ON res USING gist (geom);
ANALYZE res;
CREATE TEMP TABLE parks AS
WITH raw AS (
    SELECT geom FROM green_spaces
    WHERE class IN ('G11', 'G12', 'G13', 'G14', 'G3')
      AND (built_year IS NULL OR built_year <= :year)
    UNION ALL
    SELECT geom FROM pocket_parks
    WHERE (status IS NULL OR status <> 'planned')
      AND (built_year IS NULL OR built_year <= :year)
), merged AS (
    SELECT (ST_Dump(ST_Union(geom))).geom AS geom FROM raw
), sized AS (
    SELECT m.geom, ST_Area(m.geom) AS area,
           EXISTS (SELECT 1 FROM communities c
                   WHERE c.street_code IN (:historic)
                     AND ST_Intersects(c.geom, ST_PointOnSurface(m.geom))) AS historic
    FROM merged m
)
SELECT geom,
       CASE WHEN area >= 5000 THEN 500.0 WHEN area >= 2000 THEN 300.0
            WHEN historic AND area >= 1000 THEN 300.0 ELSE 0.0 END AS radius
FROM sized;
DELETE FROM parks WHERE radius = 0;
CREATE INDEX ON parks USING gist (geom);
ANALYZE parks;
CREATE TABLE result_park500 AS
WITH reach AS (
    SELECT r.code, ST_Union(ST_Buffer(p.geom, p.radius, 'quad_segs=32')) AS geom
    FROM res r JOIN parks p ON ST_DWithin(r.geom, p.geom, p.radius)
    GROUP BY r.code
)
SELECT r.code,
       COALESCE(ST_Area(ST_Intersection(r.geom, reach.geom)), 0) AS num,
       ST_Area(r.geom) AS den
FROM res r LEFT JOIN reach USING (code);
