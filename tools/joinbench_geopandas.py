"""geopandas's spatial join of a CSV to the grids, the peer of `gridmap join` in tools/joinbench.sh:
read_csv, points from lon/lat, sjoin (within) with the grids, to_csv with every column kept.
Prints rows, seconds and rows/s. Usage: joinbench_geopandas.py CSV GRIDS_GEOJSON OUT"""
import sys, time
import geopandas as gpd
import pandas as pd

start = time.time()
cases = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
lon = pd.to_numeric(cases["lon"], errors="coerce")
lat = pd.to_numeric(cases["lat"], errors="coerce")
points = gpd.GeoDataFrame(cases, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
grids = gpd.read_file(sys.argv[2])[["id", "name", "community_id", "street_id", "geometry"]]
grids = grids.rename(columns={"id": "grid_id", "name": "grid_name"})
joined = gpd.sjoin(points, grids, how="left", predicate="within")
joined = joined[~joined.index.duplicated(keep="first")]
joined.drop(columns=["geometry", "index_right"]).to_csv(sys.argv[3], index=False)
seconds = time.time() - start
print(f"{len(cases)} rows in {seconds:.2f} s: {len(cases) / seconds:.0f} rows/s")
