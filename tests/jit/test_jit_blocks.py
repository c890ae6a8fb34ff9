"""Basic blocks from instruction boundaries and leaders, and their partition into compile units."""

import pytest

from jitvm.jit.blocks import DEFAULT_BLOCKS_PER_FUNCTION, find_leaders, partition, split_blocks

# A made-up variable-length program: instruction starts and the pc after the last instruction.
STARTS = [0, 1, 3, 4, 8, 9, 10]
CODE_END = 12


def test_leaders_are_first_instruction_targets_and_after_block_enders():
    leaders = find_leaders(STARTS, jump_targets=[8], ends_block=[3, 10])
    assert leaders == {0, 8, 4}  # 10 is the last instruction: nothing follows it


def test_split_blocks_in_program_order_with_instruction_ranges():
    block_map = split_blocks(STARTS, CODE_END, {0, 4, 8})
    assert [(b.start, b.end, b.instructions) for b in block_map.blocks] == [
        (0, 4, range(0, 3)),
        (4, 8, range(3, 4)),
        (8, 12, range(4, 7)),
    ]
    assert [b.index for b in block_map.blocks] == [0, 1, 2]
    assert block_map.block_of_pc == {0: 0, 1: 0, 3: 0, 4: 1, 8: 2, 9: 2, 10: 2}


def test_block_at_finds_only_block_starts():
    block_map = split_blocks(STARTS, CODE_END, {4})
    assert block_map.block_at(4).start == 4
    assert block_map.block_at(0).index == 0  # the first instruction always leads
    assert block_map.block_at(3) is None  # inside a block
    assert block_map.block_at(2) is None  # inside an instruction


def test_leaders_at_or_past_the_end_are_ignored():
    block_map = split_blocks(STARTS, CODE_END, {CODE_END, CODE_END + 5})
    assert len(block_map.blocks) == 1


def test_leader_inside_an_instruction_is_rejected():
    with pytest.raises(ValueError, match="leader 2"):
        split_blocks(STARTS, CODE_END, {2})


def test_bad_boundaries_are_rejected():
    with pytest.raises(ValueError):
        split_blocks([0, 4, 4], 8, set())
    with pytest.raises(ValueError):
        split_blocks([0, 4], 4, set())


def test_empty_code_has_no_blocks():
    block_map = split_blocks([], 0, {0})
    assert block_map.blocks == [] and block_map.block_of_pc == {}


@pytest.mark.parametrize("count", [0, 1, 149, 150, 151, 300, 301, 5000])
def test_partition_covers_every_block_in_order_within_the_budget(count):
    ranges = partition(count, DEFAULT_BLOCKS_PER_FUNCTION)
    assert [i for r in ranges for i in r] == list(range(count))
    assert all(0 < len(r) <= DEFAULT_BLOCKS_PER_FUNCTION for r in ranges)
    if ranges:
        assert max(map(len, ranges)) - min(map(len, ranges)) <= 1


def test_partition_balances_instead_of_leaving_a_tiny_tail():
    assert [len(r) for r in partition(151, 150)] == [76, 75]


def test_partition_rejects_a_zero_budget():
    with pytest.raises(ValueError):
        partition(10, 0)
