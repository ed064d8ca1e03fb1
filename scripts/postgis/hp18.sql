-- HP-18 海绵城市达标面积占建成区比例: area of (compliant sponge zones ∩ built-up land) ÷ area of
-- built-up land, per community (both layers dissolved per community first).
DROP TABLE IF EXISTS result_hp18;
CREATE TABLE result_hp18 AS
WITH built AS (
    SELECT c.code,
           ST_Union(CASE WHEN ST_CoveredBy(l.geom, c.geom) THEN l.geom
                         ELSE ST_Intersection(l.geom, c.geom) END) AS geom
    FROM communities c
    JOIN landuse l ON ST_Intersects(l.geom, c.geom)
    WHERE l.built_up
    GROUP BY c.code
), sponge AS (
    SELECT c.code,
           ST_Union(CASE WHEN ST_CoveredBy(s.geom, c.geom) THEN s.geom
                         ELSE ST_Intersection(s.geom, c.geom) END) AS geom
    FROM communities c
    JOIN sponge_zones s ON ST_Intersects(s.geom, c.geom)
    WHERE s.compliant
    GROUP BY c.code
)
SELECT b.code,
       COALESCE(ST_Area(ST_Intersection(s.geom, b.geom)), 0) AS num,
       ST_Area(b.geom) AS den
FROM built b LEFT JOIN sponge s USING (code);
