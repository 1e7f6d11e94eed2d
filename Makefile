# Entry points of the README. Each target installs the stack first
# (tools/install.sh is idempotent and skips what is already in place).
PYTHON ?= python
SAMPLE_CONFIG ?= configs/metapose/metapose_tiny_sample.py
SAMPLE_WORK_DIR ?= work_dirs/sample

.PHONY: install sample test

install:
	PYTHON=$(PYTHON) bash tools/install.sh

sample: install
	$(PYTHON) tools/run_sample.py $(SAMPLE_CONFIG) --work-dir $(SAMPLE_WORK_DIR)

test: install
	$(PYTHON) -m pytest tests -q
