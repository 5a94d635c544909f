# One image for every process of the observatory: web, worker, beat and the one-shot migrate.
# docker-compose.yml picks the process with the Procfile command; the default is the web server.

# Front-end libraries (Bootstrap Italia, Leaflet, Plotly) come from npm at build time, exactly as
# package-lock.json pins them; they are served from /static/, never from a CDN.
# Node.js 24 is the active LTS line (Node 20 left support in April 2026).
FROM node:24-bookworm-slim AS front-end
WORKDIR /build
COPY package.json package-lock.json ./
# axe-core is a devDependency used only by the accessibility tests, so it stays out of the image.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_BIND=0.0.0.0:8000

# GeoDjango loads GDAL, GEOS and PROJ at runtime: gdal-bin brings libgdal32, libgeos-c1v5 and
# libproj25 with it (and ogrinfo, handy to inspect a file before `manage.py import_zones`).
# gettext provides msgfmt for compilemessages.
# WeasyPrint (the monthly brief's PDF) lays text out with Pango and HarfBuzz; DejaVu is the PDF's font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin libgdal32 gettext \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Exactly the releases of requirements.lock, each file checked against its hash.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY --from=front-end /build/node_modules ./node_modules
COPY . .

# Translations and static files are built into the image, so every container serves the same ones.
# The secret key is a throwaway: neither command signs anything, and no database is reached.
# `locale` is created so that compilemessages has a directory to look in even before the first
# translation exists; the GDAL/GEOS line fails the build early if GeoDjango cannot load them.
RUN mkdir -p locale var media \
    && export DJANGO_SECRET_KEY=build-only-not-a-secret DJANGO_SETTINGS_MODULE=observatory.settings \
    && python -c "from django.contrib.gis.gdal import gdal_version; from django.contrib.gis.geos import geos_version; print('GDAL', gdal_version().decode(), '/ GEOS', geos_version().decode())" \
    && python manage.py compilemessages -v 0 --ignore node_modules \
    && python manage.py collectstatic --noinput -v 0

# The application code stays owned by root and read-only to the process; only var/ (the beat
# schedule) and media/ (uploaded photos, a volume in docker-compose.yml) are writable.
RUN groupadd --system --gid 10001 observatory \
    && useradd --system --uid 10001 --gid observatory --home-dir /app --no-create-home observatory \
    && chown -R observatory:observatory var media
USER observatory

EXPOSE 8000

# The Procfile `web` command.
CMD ["gunicorn", "observatory.wsgi:application", "--config", "gunicorn.conf.py"]
