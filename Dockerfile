# ILLMS: one image for the web server (gunicorn), the Celery worker and beat, and migrations.
# See docs/deployment.md and docker-compose.yml.
FROM python:3.11-slim

# The code runs from /app (PYTHONPATH): the settings find templates/ and static/ beside the
# packages (BASE_DIR), which the copy pip puts in site-packages does not carry.
# ILLMS_VAR_DIR: where SQLite (used only without DATABASE_URL) and private files default to.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    ILLMS_VAR_DIR=/data

# WeasyPrint (invoices, pull slips) needs Pango, HarfBuzz and a font; HarfBuzz's subset library
# embeds only the glyphs used (without it fontTools does that, several times slower per PDF).
# psycopg2-binary bundles libpq, so no PostgreSQL client library is installed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --user-group --create-home --shell /usr/sbin/nologin illms

WORKDIR /app

# Dependencies first, in a layer that changes only with pyproject.toml.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
       > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps . && rm -rf build ./*.egg-info

# Static files are collected into the image and served by WhiteNoise. The settings refuse
# DJANGO_DEBUG=0 without a secret key, so the build uses a throwaway one; the real key
# comes from the environment at run time.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /data/private \
    && chown -R illms:illms /data

USER illms
EXPOSE 8000

# Workers, threads and timeouts from ILLMS_WEB_* (illms/gunicorn_conf.py).
CMD ["gunicorn", "illms.wsgi:application", "--config", "python:illms.gunicorn_conf"]
