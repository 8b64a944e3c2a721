# Hygiene: each test passes alone and in the order written; in the other order the first
# test finds what the second left behind. (With two tests the other order is the reverse.)
leftovers = []


def test_nothing_is_left_over_yet():
    assert leftovers == []


def test_leaves_a_leftover():
    leftovers.append("scrap")
