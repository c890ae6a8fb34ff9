"""What the EIP-2537 prices read: the input sizes, and the multi-scalar multiplication discounts as data
(entry k-1 is the price of k pairs in thousandths of k separate multiplications; past the last entry,
k > 128, the last discount holds). Kept apart from the curve arithmetic (bls12_381) so that pricing or
listing the precompiles does not import the arkworks bindings."""

from jitvm.evm.precompiles.gas import GasRule

FP_SIZE = 64  # as the EVM writes a field element
FP2_SIZE = 2 * FP_SIZE
G1_SIZE = 2 * FP_SIZE
G2_SIZE = 2 * FP2_SIZE
SCALAR_SIZE = 32
G1_MSM_PAIR_SIZE = G1_SIZE + SCALAR_SIZE
G2_MSM_PAIR_SIZE = G2_SIZE + SCALAR_SIZE
PAIRING_PAIR_SIZE = G1_SIZE + G2_SIZE

MSM_DISCOUNT_DIVISOR = 1000

G1_MSM_DISCOUNTS = (
    1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677,  # k = 1..16
    673, 669, 665, 661, 658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627,  # k = 17..32
    625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604, 603, 601, 599, 598,  # k = 33..48
    596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576,  # k = 49..64
    575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559,  # k = 65..80
    558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545, 544,  # k = 81..96
    543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531,  # k = 97..112
    530, 529, 528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519,  # k = 113..128
)

G2_MSM_DISCOUNTS = (
    1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717,  # k = 1..16
    711, 704, 699, 693, 688, 683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646,  # k = 17..32
    643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615, 613, 611, 609, 607,  # k = 33..48
    606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582,  # k = 49..64
    580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562,  # k = 65..80
    561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549, 548, 547,  # k = 81..96
    546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535,  # k = 97..112
    534, 533, 532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524,  # k = 113..128
)


def msm_gas(pair_size: int, discounts: tuple[int, ...], multiplication_cost: int) -> GasRule:
    """`k * multiplication_cost * discount(k) / 1000` for k (point, scalar) pairs of `pair_size` bytes;
    the discount table stops at its last entry. Zero for an input that holds no whole pair (which then
    fails anyway)."""

    def gas(data: bytes) -> int:
        pairs = len(data) // pair_size
        if pairs == 0:
            return 0
        discount = discounts[min(pairs, len(discounts)) - 1]
        return pairs * multiplication_cost * discount // MSM_DISCOUNT_DIVISOR

    return gas


def pairing_gas(base: int, per_pair: int) -> GasRule:
    def gas(data: bytes) -> int:
        return base + per_pair * (len(data) // PAIRING_PAIR_SIZE)

    return gas
