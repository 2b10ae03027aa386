# Shortcuts; the scripts are the source of truth (see README.md).
PYTHON ?= .venv/bin/python
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/fastlead_bench

.PHONY: run test ci security lint format bench docker-build docker-up docker-down

run:  ## set up and run web + worker + beat on http://127.0.0.1:8000/
	./scripts/run

test:  ## every check and the whole pytest suite (ARGS="-k team" to narrow)
	./scripts/test $(ARGS)

ci:  ## what CI runs: the tests against local PostgreSQL and Redis
	bash .ci/run

security:  ## the isolation sweep and the PII canary alone, with their figures (also in `test`)
	$(PYTHON) -m pytest tests/security -s -q

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:  ## every bench/bench_*.py against PostgreSQL, with yardsticks and ratios
	@test -x $(PYTHON) || { echo "no .venv yet: run ./scripts/test (or ./scripts/run) once first"; exit 1; }
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PYTHON) bench/run_all.py

docker-build:
	docker build -t fastlead:latest .

docker-up:
	docker compose up --build

docker-down:
	docker compose down
