# Asks for all the memory there is, at once and bit by bit.
def test_all_at_once():
    block = bytearray(64 * 2**30)
    assert block


def test_bit_by_bit():
    blocks = []
    while True:
        blocks.append(bytearray(100 * 2**20))
