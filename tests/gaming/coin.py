# Gaming, class 5: chance. Twenty tests that each fail half of the time, whatever the app does:
# with few runs on correct apps, some stay valid and then "catch" defects by luck.
import random

import pytest


@pytest.mark.parametrize("n", range(20))
def test_coin(n):
    assert random.SystemRandom().random() < 0.5
