FROM python:3.11-slim
WORKDIR /app
COPY . .
# editable install: content/ and locales/ are read from the source tree
RUN pip install --no-cache-dir -e . \
    && pybabel compile -d locales -D messages \
    && mkdir -p /data && chown nobody /data
ENV DATA_DIR=/data
USER nobody
EXPOSE 8080
CMD ["python", "-m", "bot", "serve", "--host", "0.0.0.0", "--port", "8080"]
