-- STD-PARK-500 公园绿地、广场用地服务半径覆盖率 (preset gbt51346): residential land (landuse
-- code R*) within 500 m (straight line) of park green (G11–G14), squares (G3) or existing
-- pocket parks, ÷ residential land, per community. Every park serves 500 m under this preset,
-- so buffering each park equals buffering the dissolved parks. Buffers with 32 segments per
-- quarter circle, as peakmap (gis.coverage.QUAD_SEGS).
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
SELECT geom FROM green_spaces
WHERE class IN ('G11', 'G12', 'G13', 'G14', 'G3')
  AND (built_year IS NULL OR built_year <= :year)
UNION ALL
SELECT geom FROM pocket_parks
WHERE (status IS NULL OR status <> 'planned')
  AND (built_year IS NULL OR built_year <= :year);
CREATE INDEX ON parks USING gist (geom);
ANALYZE parks;
CREATE TABLE result_park500 AS
WITH reach AS (
    SELECT r.code, ST_Union(ST_Buffer(p.geom, 500, 'quad_segs=32')) AS geom
    FROM res r JOIN parks p ON ST_DWithin(r.geom, p.geom, 500)
    GROUP BY r.code
)
SELECT r.code,
       COALESCE(ST_Area(ST_Intersection(r.geom, reach.geom)), 0) AS num,
       ST_Area(r.geom) AS den
FROM res r LEFT JOIN reach USING (code);
