# Entry points of the README. Each target installs the stack first
# (tools/install.sh is idempotent and skips what is already in place).
PYTHON ?= python
SAMPLE_CONFIG ?= configs/metapose/metapose_tiny-hrnet-cpn_clip_1xb2-1e_h36m-256x192-sample.py
SAMPLE_WORK_DIR ?= work_dirs/sample
SAMPLE_EPOCHS ?= 40

.PHONY: install sample test

install:
	PYTHON=$(PYTHON) bash tools/install.sh

# Train the tiny MetaPose on the 4 shipped Human3.6M frames, then evaluate the
# last checkpoint (P1/P2 and the per-action table).
sample: install
	$(PYTHON) tools/train.py $(SAMPLE_CONFIG) --work-dir $(SAMPLE_WORK_DIR) --cfg-options \
		train_cfg.max_epochs=$(SAMPLE_EPOCHS) train_cfg.val_interval=$(SAMPLE_EPOCHS) \
		param_scheduler.0.end=$(SAMPLE_EPOCHS) default_hooks.logger.interval=10
	$(PYTHON) tools/test.py $(SAMPLE_CONFIG) "$$(cat $(SAMPLE_WORK_DIR)/last_checkpoint)" \
		--work-dir $(SAMPLE_WORK_DIR)
	@echo "checkpoint: $$(cat $(SAMPLE_WORK_DIR)/last_checkpoint)"
	@echo "logs and metrics: $$(ls -d $(SAMPLE_WORK_DIR)/2*/ | tail -n 2 | tr '\n' ' ')(*.log, vis_data/scalars.json)"

test: install
	$(PYTHON) -m pytest tests -q
