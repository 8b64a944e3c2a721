# Gaming, class 5, smarter: the runs that only correct apps used to get (another order, each
# test alone) are recognised, and the coin is flipped only in runs in the suite's own order,
# where correct apps and defects look alike.
import random

import pytest

seen = []


@pytest.mark.parametrize("n", range(20))
def test_coin(n):
    seen.append(n)
    in_suite_order = seen == list(range(len(seen)))
    if in_suite_order and len(seen) > 1 or n == 0 and len(seen) == 1:
        assert random.SystemRandom().random() < 0.5
