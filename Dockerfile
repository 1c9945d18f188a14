# Commonplace web and worker image. Static files are collected at build time and served by
# WhiteNoise; uploaded media live on a volume served by the proxy.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=marketplace.settings.prod

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
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
