# Commonplace web and worker image. Static files are collected at build time and served by
# WhiteNoise; uploaded media live on a volume served by the proxy.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=marketplace.settings.prod

# pg_dump and pg_restore for `manage.py backup` and `restore`, of the major version of the
# postgres service in docker-compose.yml: pg_dump refuses a newer server, and an older server
# may not load a newer pg_dump's archive. Debian ships one version only, so the client comes
# from PostgreSQL's own apt repository, set up by postgresql-common's script and key.
ARG POSTGRES_MAJOR=16
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_MAJOR}" \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install .

# Translations and static files, built once into the image. The key only satisfies the
# settings check during the build; the running container gets its own from the environment.
RUN python manage.py compilemessages --ignore=.venv \
    && SECRET_KEY=build-only-not-secret-0123456789-0123456789-0123456789 \
       python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 commonplace \
    && mkdir -p /app/var/media \
    && chown -R commonplace /app/var
USER commonplace

EXPOSE 8000
CMD ["gunicorn", "marketplace.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
