# Convenience wrappers around the two README commands.
.PHONY: install demo test lint
install:
	python -m pip install -e ".[dev]"
demo: install
	gridaudit demo --out demo
test: install
	python -m pytest -q
lint:
	ruff check gridaudit tests benchmarks
