# The two commands of the README, plus the benchmark. Each installs what is missing first.
.PHONY: run test bench setup tour golden

setup:
	@scripts/setup.sh

run: setup
	@scripts/run-demo.sh

test: setup
	@scripts/test.sh

bench: setup
	cargo bench --locked --bench shell --bench input --bench sync --bench health --bench watch --bench call --bench staff --bench learn

# Pictures of every screen, for a machine without a display (make run does this by itself there).
tour: setup
	@scripts/tour.sh

# Regenerate the golden pictures after a deliberate UI change; look at them before committing.
golden: setup
	BEDSIDE_UPDATE_GOLDEN=1 cargo test --locked --test golden
