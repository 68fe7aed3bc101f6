from pathlib import Path

import pytest

FUZZ_FOLDER = Path(__file__).resolve().parent


# Marked here rather than in each module, so that a new fuzz module is never left out of
# `-m fuzz` (make fuzz) or `-m "not fuzz"`. First, so that the mark is on before `-m` selects.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if FUZZ_FOLDER in item.path.parents:
            item.add_marker(pytest.mark.fuzz)
